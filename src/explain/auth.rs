//! AUTH exchanges: which SASL mechanism, what the server's base64 prompts say, XOAUTH2 error
//! replies. Client lines of the exchange are credentials: they are never decoded here.

use base64::Engine;

/// What a SASL mechanism is, for the AUTH command's explanation.
pub fn mechanism_meaning(mech: &str) -> &'static str {
    match mech.to_ascii_uppercase().as_str() {
        "PLAIN" => "username and password in one base64 string",
        "LOGIN" => "username and password sent one after the other, base64",
        "CRAM-MD5" => "challenge-response: the password itself is not sent",
        "DIGEST-MD5" => "challenge-response (obsolete)",
        "XOAUTH2" => "OAuth 2.0 access token (Google/Microsoft)",
        "OAUTHBEARER" => "OAuth 2.0 bearer token (RFC 7628)",
        "XOAUTH" => "old OAuth 1.0 token (Google, obsolete)",
        "PLAIN-CLIENTTOKEN" => "Google client token",
        "NTLM" => "Windows NTLM challenge-response",
        "GSSAPI" => "Kerberos",
        "EXTERNAL" => "identity from the TLS client certificate",
        "ANONYMOUS" => "no credentials",
        m if m.starts_with("SCRAM-") => "salted challenge-response: the password itself is not sent",
        _ => "a SASL mechanism",
    }
}

/// The mechanism named by an `AUTH <mechanism> [initial-response]` command.
pub fn mechanism_of(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("AUTH") {
        return None;
    }
    words.next().map(str::to_ascii_uppercase)
}

/// One line about an AUTH command. The initial response (if any) is only mentioned, never
/// decoded.
pub fn command_note(command: &str) -> String {
    let Some(mech) = mechanism_of(command) else {
        return "client starts authentication".to_owned();
    };
    let with_response = command.split_whitespace().nth(2).is_some();
    let sent = if with_response {
        "; credentials sent with the command (masked)"
    } else {
        ""
    };
    format!("client logs in with {mech} ({}){sent}", mechanism_meaning(&mech))
}

/// What a `334` challenge from the server says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `334 ` with nothing: send the credentials now.
    Empty,
    /// A readable prompt such as `Username:` (AUTH LOGIN).
    Prompt(String),
    /// A CRAM-MD5 (or similar) challenge string.
    Nonce(String),
    /// An XOAUTH2/OAUTHBEARER error in JSON: the token was refused.
    OAuthError {
        status: Option<String>,
        schemes: Option<String>,
        scope: Option<String>,
    },
    /// Not base64 or not text.
    Opaque,
}

/// Decodes the text of a `334` reply (after the code). `mechanism` is the AUTH mechanism in
/// use, when known. This is server text, so decoding it reveals no client secret.
pub fn decode_challenge(payload: &str, mechanism: Option<&str>) -> Challenge {
    let payload = payload.trim();
    if payload.is_empty() {
        return Challenge::Empty;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload) else {
        return Challenge::Opaque;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Challenge::Opaque;
    };
    if text.trim_start().starts_with('{') {
        if let Some(err) = oauth_error(&text) {
            return err;
        }
    }
    if text.chars().any(|c| c.is_control()) {
        return Challenge::Opaque;
    }
    let cram = mechanism.is_some_and(|m| m.eq_ignore_ascii_case("CRAM-MD5"));
    if cram || (text.starts_with('<') && text.ends_with('>') && text.contains('@')) {
        return Challenge::Nonce(text);
    }
    Challenge::Prompt(text)
}

fn oauth_error(json: &str) -> Option<Challenge> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let obj = v.as_object()?;
    let field = |k: &str| {
        obj.get(k).map(|x| match x {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let status = field("status");
    if status.is_none() && !obj.contains_key("schemes") {
        return None;
    }
    Some(Challenge::OAuthError {
        status,
        schemes: field("schemes"),
        scope: field("scope"),
    })
}

impl Challenge {
    /// One line for the inline explanation.
    pub fn note(&self) -> String {
        match self {
            Challenge::Empty => "server is ready for the credentials".to_owned(),
            Challenge::Prompt(p) => format!("server asks: \"{}\"", short(p)),
            Challenge::Nonce(n) => format!(
                "server challenge \"{}\": the client answers with a hash",
                short(n)
            ),
            Challenge::OAuthError {
                status,
                schemes,
                scope,
            } => {
                let mut s = "OAuth token refused".to_owned();
                if let Some(st) = status {
                    s.push_str(&format!(": status {st}"));
                    if let Some(why) = oauth_status_meaning(st) {
                        s.push_str(&format!(" ({why})"));
                    }
                }
                if let Some(sc) = schemes {
                    s.push_str(&format!(", schemes {sc}"));
                }
                if let Some(sc) = scope {
                    s.push_str(&format!(", scope {sc}"));
                }
                s.push_str("; the client must reply with an empty line, then gets the final error");
                s
            }
            Challenge::Opaque => "server challenge (binary, mechanism-specific)".to_owned(),
        }
    }
}

fn oauth_status_meaning(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => "invalid request: wrong user for this token, or a malformed token",
        "401" => "token invalid or expired: refresh it",
        "403" => "token lacks the required scope",
        _ => return None,
    })
}

/// Decoded server text can hold anything: cut it short and drop control characters.
fn short(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
    if s.chars().count() > 80 {
        format!("{clean}…")
    } else {
        clean
    }
}

/// The note for a client line answering a challenge: which part it is, never its content.
pub fn answer_note(prompt: Option<&Challenge>, mechanism: Option<&str>) -> String {
    let what = match prompt {
        Some(Challenge::Prompt(p)) if p.to_ascii_lowercase().contains("user") => "username",
        Some(Challenge::Prompt(p)) if p.to_ascii_lowercase().contains("pass") => "password",
        Some(Challenge::Nonce(_)) => "challenge response",
        Some(Challenge::OAuthError { .. }) => "acknowledgement of the OAuth error",
        _ => "credentials",
    };
    match mechanism {
        Some(m) => format!("{what} sent for AUTH {m} (masked)"),
        None => format!("{what} sent for AUTH (masked)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_prompts_are_decoded() {
        assert_eq!(
            decode_challenge("VXNlcm5hbWU6", Some("LOGIN")),
            Challenge::Prompt("Username:".into())
        );
        assert_eq!(
            decode_challenge("UGFzc3dvcmQ6", Some("LOGIN")),
            Challenge::Prompt("Password:".into())
        );
        assert_eq!(decode_challenge("", Some("PLAIN")), Challenge::Empty);
        assert!(decode_challenge("VXNlcm5hbWU6", None)
            .note()
            .contains("\"Username:\""));
        assert_eq!(decode_challenge("not base64!", None), Challenge::Opaque);
    }

    #[test]
    fn cram_md5_challenge() {
        // "<1896.697170952@postoffice.example.net>"
        let c = decode_challenge(
            "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+",
            Some("CRAM-MD5"),
        );
        assert_eq!(
            c,
            Challenge::Nonce("<1896.697170952@postoffice.example.net>".into())
        );
    }

    #[test]
    fn xoauth2_error_json() {
        // {"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}
        let payload = "eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==";
        let c = decode_challenge(payload, Some("XOAUTH2"));
        assert_eq!(
            c,
            Challenge::OAuthError {
                status: Some("400".into()),
                schemes: Some("Bearer".into()),
                scope: Some("https://mail.google.com/".into()),
            }
        );
        let note = c.note();
        assert!(note.contains("status 400") && note.contains("Bearer") && note.contains("mail.google.com"));
    }

    #[test]
    fn commands_name_the_mechanism_but_never_the_response() {
        let n = command_note("AUTH PLAIN AHVzZXIAaHVudGVyMg==");
        assert!(n.contains("PLAIN") && n.contains("masked"));
        assert!(!n.contains("AHVzZXIAaHVudGVyMg") && !n.contains("hunter2"));
        assert_eq!(mechanism_of("auth xoauth2"), Some("XOAUTH2".into()));
        let a = answer_note(Some(&Challenge::Prompt("Password:".into())), Some("LOGIN"));
        assert_eq!(a, "password sent for AUTH LOGIN (masked)");
    }
}
