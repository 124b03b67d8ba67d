//! Commands, MAIL/RCPT parameters and the EHLO keywords a server advertises: what each means
//! for the session at hand.

use crate::model::Step;

/// What the client asks for with this command (the verb alone).
pub fn command_meaning(step: Step) -> &'static str {
    match step {
        Step::Helo => "client introduces itself (plain SMTP, no extensions)",
        Step::Ehlo => "client introduces itself and asks for the server's extensions",
        Step::Lhlo => "client introduces itself (LMTP)",
        Step::StartTls => "client asks to switch to an encrypted (TLS) connection",
        Step::Auth => "client starts authentication",
        Step::Mail => "client names the sender: a new message begins",
        Step::Rcpt => "client names a recipient",
        Step::Data => "client asks to send the message content",
        Step::Bdat => "client sends a chunk of the message (CHUNKING)",
        Step::BdatLast => "client sends the last chunk of the message (CHUNKING)",
        Step::Rset => "client abandons the current message",
        Step::Noop => "client checks the connection is alive",
        Step::Quit => "client ends the session",
        Step::Vrfy => "client asks whether a mailbox exists",
        Step::Expn => "client asks to expand a mailing list",
        Step::Help => "client asks for help",
        Step::Turn => "client asks to reverse roles and receive its queued mail (TURN/ATRN)",
        Step::Etrn => "client asks the server to start delivering mail queued for a domain",
        Step::Xclient => "proxy passes the original client's address and name (Postfix XCLIENT)",
        Step::Xforward => "proxy passes the original client's details for logging (Postfix XFORWARD)",
        Step::Greeting | Step::DataEnd => "end of message data",
        Step::Other => "a command the server may not know",
    }
}

/// One line about a command as written, with its argument and parameters explained.
pub fn command_note(text: &str) -> String {
    let step = Step::of_command(text);
    let rest = text.trim().split_once([' ', ':']).map_or("", |(_, r)| r.trim());
    match step {
        Step::Auth => super::auth::command_note(text),
        Step::Ehlo if !rest.is_empty() => format!(
            "client introduces itself as {} and asks for the server's extensions",
            first_word(rest)
        ),
        Step::Helo | Step::Lhlo if !rest.is_empty() => {
            format!("{} as {}", command_meaning(step), first_word(rest))
        }
        Step::Mail | Step::Rcpt => path_note(step, text),
        Step::Turn if text.trim().to_ascii_uppercase().starts_with("ATRN") => {
            "client asks to reverse roles and receive its queued mail (ATRN, RFC 2645)".to_owned()
        }
        Step::Etrn if !rest.is_empty() => format!("{} ({})", command_meaning(step), first_word(rest)),
        Step::Other => {
            let verb = first_word(text);
            format!("'{verb}': not a standard SMTP command")
        }
        _ => command_meaning(step).to_owned(),
    }
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// `MAIL FROM:<a> SIZE=1 BODY=8BITMIME` → sender plus what each parameter asks for.
fn path_note(step: Step, text: &str) -> String {
    let after_colon = text.split_once(':').map_or("", |(_, r)| r.trim_start());
    let (path, params) = match after_colon.find('>') {
        Some(end) if after_colon.starts_with('<') => (&after_colon[..=end], &after_colon[end + 1..]),
        _ => after_colon.split_once(' ').unwrap_or((after_colon, "")),
    };
    let mut out = match (step, path) {
        (Step::Mail, "<>") => {
            "client starts a message with an empty sender (a bounce or delivery report)".to_owned()
        }
        (Step::Mail, p) => format!("client names the sender {p}: a new message begins"),
        (_, p) => format!("client names the recipient {p}"),
    };
    let explained: Vec<String> = params.split_whitespace().map(parameter_meaning).collect();
    if !explained.is_empty() {
        out.push_str("; ");
        out.push_str(&explained.join(", "));
    }
    out
}

/// What one MAIL/RCPT parameter asks for.
pub fn parameter_meaning(param: &str) -> String {
    let (key, value) = param.split_once('=').unwrap_or((param, ""));
    let v = value.to_ascii_uppercase();
    match key.to_ascii_uppercase().as_str() {
        "SIZE" => match value.parse::<u64>() {
            Ok(n) => format!("message size {}", human_size(n)),
            Err(_) => "declares the message size".to_owned(),
        },
        "BODY" => match v.as_str() {
            "7BIT" => "7-bit body".to_owned(),
            "8BITMIME" => "8-bit MIME body".to_owned(),
            "BINARYMIME" => "binary MIME body (needs BDAT)".to_owned(),
            _ => format!("body type {value}"),
        },
        "SMTPUTF8" => "UTF-8 addresses/headers (SMTPUTF8)".to_owned(),
        "NOTIFY" => match v.as_str() {
            "NEVER" => "no delivery reports".to_owned(),
            _ => format!("delivery reports on {}", v.replace(',', "/").to_lowercase()),
        },
        "RET" => match v.as_str() {
            "HDRS" => "reports return headers only".to_owned(),
            _ => "reports return the full message".to_owned(),
        },
        "ENVID" => "envelope id for delivery reports".to_owned(),
        "ORCPT" => "original recipient for delivery reports".to_owned(),
        "REQUIRETLS" => "message must only travel over TLS (REQUIRETLS)".to_owned(),
        "AUTH" if value == "<>" => "submitter unknown (AUTH=<>)".to_owned(),
        "AUTH" => format!("submitted by {value}"),
        "BY" => format!("deliver by {value} seconds (DELIVERBY)"),
        "MT-PRIORITY" => format!("priority {value}"),
        "HOLDFOR" | "HOLDUNTIL" => "hold the message for later release (FUTURERELEASE)".to_owned(),
        "RRVS" => "recipient must have existed since the given time (RRVS)".to_owned(),
        _ => format!("parameter {key}"),
    }
}

/// Bytes in decimal units as mail servers state limits ("35 MB", "9.5 MB").
pub fn human_size(n: u64) -> String {
    let (value, unit) = match n {
        0..=999 => return format!("{n} bytes"),
        1_000..=999_999 => (n as f64 / 1e3, "kB"),
        1_000_000..=999_999_999 => (n as f64 / 1e6, "MB"),
        _ => (n as f64 / 1e9, "GB"),
    };
    if value >= 10.0 {
        format!("{} {unit}", value.floor() as u64)
    } else {
        format!("{:.1} {unit}", (value * 10.0).floor() / 10.0)
    }
}

/// What an EHLO keyword means for this session. `None` for keywords not known here.
pub fn keyword_meaning(keyword: &str) -> Option<&'static str> {
    Some(match keyword.to_ascii_uppercase().as_str() {
        "SIZE" => "largest message the server accepts (RFC 1870)",
        "PIPELINING" => "the client may send several commands without waiting (RFC 2920)",
        "8BITMIME" => "8-bit message bodies accepted (RFC 6152)",
        "STARTTLS" => "the connection can be switched to TLS (RFC 3207)",
        "AUTH" => "login mechanisms offered (RFC 4954)",
        "CHUNKING" => "the message may be sent in BDAT chunks (RFC 3030)",
        "BINARYMIME" => "binary message bodies accepted with BDAT (RFC 3030)",
        "SMTPUTF8" => "UTF-8 addresses and headers accepted (RFC 6531)",
        "DSN" => "delivery status notifications on request (RFC 3461)",
        "ENHANCEDSTATUSCODES" => "replies carry enhanced status codes like 5.7.8 (RFC 2034)",
        "REQUIRETLS" => "messages can require TLS on every hop (RFC 8689)",
        "DELIVERBY" => "a delivery deadline may be set (RFC 2852)",
        "ETRN" => "the client may ask for queued mail to be sent (RFC 1985)",
        "ATRN" => "authenticated TURN: queued mail can be fetched (RFC 2645)",
        "VRFY" => "mailbox verification allowed (RFC 5321)",
        "EXPN" => "mailing-list expansion allowed (RFC 5321)",
        "HELP" => "HELP is available (RFC 5321)",
        "XCLIENT" => "a trusted proxy may pass the original client's details (Postfix)",
        "XFORWARD" => "a trusted proxy may pass client details for logging (Postfix)",
        "MT-PRIORITY" => "message priorities accepted (RFC 6710)",
        "BURL" => "message content may be fetched from IMAP (RFC 4468)",
        "FUTURERELEASE" => "messages may be held for later release (RFC 4865)",
        "RRVS" => "require-recipient-valid-since checks (RFC 7293)",
        "LIMITS" => "the server states its limits (RFC 9422)",
        "NO-SOLICITING" => "no solicitation keywords (RFC 3865)",
        "MTRK" => "message tracking (RFC 3887)",
        "XEXCH50" | "X-EXPS" | "X-LINK2STATE" | "XRDST" | "XSHADOW" | "XOORG" | "X-ANONYMOUSTLS" => {
            "Microsoft Exchange extension"
        }
        "XOAUTH2" | "XOAUTH" => "OAuth login",
        "TURN" => "role reversal (obsolete, RFC 821)",
        _ => return None,
    })
}

/// One EHLO capability line parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability {
    pub keyword: String,
    pub args: Vec<String>,
}

/// The capabilities in an EHLO reply (lines after the first, which names the server).
pub fn capabilities(reply: &str) -> Vec<Capability> {
    reply
        .lines()
        .skip(1)
        .filter_map(|line| {
            let text = crate::model::parse_reply_line(line.trim()).map_or(line.trim(), |r| r.text);
            let mut words = text.split_whitespace();
            let first = words.next()?;
            // Old servers write `AUTH=LOGIN PLAIN`.
            let (keyword, extra) = match first.split_once('=') {
                Some((k, v)) if !v.is_empty() => (k, Some(v)),
                Some((k, _)) => (k, None),
                None => (first, None),
            };
            let mut args: Vec<String> = extra.into_iter().map(str::to_owned).collect();
            args.extend(words.map(str::to_owned));
            Some(Capability {
                keyword: keyword.to_ascii_uppercase(),
                args,
            })
        })
        .collect()
}

/// One line per advertised capability with what it means (`SIZE 35882577: largest message
/// the server accepts (RFC 1870): 35 MB`), for detail views that list them all.
pub fn capability_lines(reply: &str) -> Vec<String> {
    capabilities(reply)
        .iter()
        .map(|c| {
            let written = std::iter::once(c.keyword.as_str())
                .chain(c.args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            let meaning = keyword_meaning(&c.keyword).unwrap_or("an extension not described here");
            match (
                c.keyword.as_str(),
                c.args.first().and_then(|a| a.parse::<u64>().ok()),
            ) {
                ("SIZE", Some(n)) if n > 0 => format!("{written}: {meaning}: {}", human_size(n)),
                ("AUTH", _) => {
                    let mechs: Vec<String> = c
                        .args
                        .iter()
                        .map(|m| format!("{m} ({})", super::auth::mechanism_meaning(m)))
                        .collect();
                    format!("AUTH: {meaning}: {}", mechs.join(", "))
                }
                _ => format!("{written}: {meaning}"),
            }
        })
        .collect()
}

fn friendly_keyword(k: &str) -> String {
    match k {
        "PIPELINING" => "pipelining",
        "8BITMIME" => "8-bit MIME",
        "SMTPUTF8" => "UTF-8 addresses",
        "CHUNKING" => "chunking (BDAT)",
        "DSN" => "delivery reports (DSN)",
        "ENHANCEDSTATUSCODES" => "enhanced status codes",
        "BINARYMIME" => "binary MIME",
        other => other,
    }
    .to_owned()
}

/// "offers STARTTLS, AUTH PLAIN LOGIN, max size 35 MB, pipelining, …": the EHLO reply in one
/// line, the facts that matter most for sending first.
pub fn ehlo_summary(reply: &str) -> String {
    let caps = capabilities(reply);
    if caps.is_empty() {
        return "server accepts the greeting and offers no extensions".to_owned();
    }
    // STARTTLS, AUTH and the size limit decide most sending problems: they come first.
    let (mut tls, mut auth, mut size) = (None, None, None);
    let mut rest: Vec<String> = Vec::new();
    for c in &caps {
        match c.keyword.as_str() {
            "STARTTLS" => tls = Some("STARTTLS".to_owned()),
            "AUTH" if auth.is_none() => {
                let mechs: Vec<String> = c.args.iter().map(|a| a.to_ascii_uppercase()).collect();
                auth = Some(format!("AUTH {}", mechs.join(" ")).trim_end().to_owned());
            }
            "AUTH" => {}
            "SIZE" => {
                size = Some(match c.args.first().and_then(|a| a.parse::<u64>().ok()) {
                    Some(0) => "no size limit".to_owned(),
                    Some(n) => format!("max size {}", human_size(n)),
                    None => "size limits".to_owned(),
                })
            }
            other => rest.push(friendly_keyword(other)),
        }
    }
    if auth.is_none() && tls.is_some() {
        auth = Some("no AUTH before TLS".to_owned());
    }
    let mut first: Vec<String> = [tls, auth, size].into_iter().flatten().collect();
    first.extend(rest);
    format!("server offers {}", first.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GMAIL_EHLO: &str = "250-smtp.gmail.com at your service, [203.0.113.77]\n250-SIZE 35882577\n250-8BITMIME\n250-AUTH LOGIN PLAIN XOAUTH2\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-STARTTLS\n250 SMTPUTF8";

    #[test]
    fn ehlo_reply_lists_what_the_server_offers() {
        let s = ehlo_summary(GMAIL_EHLO);
        assert!(
            s.starts_with("server offers STARTTLS, AUTH LOGIN PLAIN XOAUTH2, max size 35 MB"),
            "{s}"
        );
        assert!(s.contains("pipelining") && s.contains("8-bit MIME") && s.contains("UTF-8 addresses"));
        let old = ehlo_summary("250-mx.example.net\n250-AUTH=LOGIN PLAIN\n250 SIZE 0");
        assert!(
            old.contains("AUTH LOGIN PLAIN") && old.contains("no size limit"),
            "{old}"
        );
        let tls_first = ehlo_summary("250-mx.example.net\n250-STARTTLS\n250 SIZE 10240000");
        assert!(tls_first.contains("no AUTH before TLS") && tls_first.contains("10 MB"));
        assert!(ehlo_summary("250 mx.example.net").contains("no extensions"));
    }

    #[test]
    fn capability_lines_explain_each_keyword() {
        let lines = capability_lines(GMAIL_EHLO);
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            "SIZE 35882577: largest message the server accepts (RFC 1870): 35 MB"
        );
        assert!(
            lines[2].starts_with("AUTH: login mechanisms offered") && lines[2].contains("XOAUTH2 (OAuth 2.0"),
            "{}",
            lines[2]
        );
        assert!(capability_lines("250-x\n250 X-FOO")[0].contains("not described here"));
    }

    #[test]
    fn every_listed_keyword_is_known() {
        for k in [
            "SIZE",
            "PIPELINING",
            "8BITMIME",
            "STARTTLS",
            "AUTH",
            "CHUNKING",
            "SMTPUTF8",
            "DSN",
            "ENHANCEDSTATUSCODES",
            "BINARYMIME",
            "REQUIRETLS",
            "DELIVERBY",
            "ETRN",
            "VRFY",
            "HELP",
            "XCLIENT",
            "XFORWARD",
            "EXPN",
            "ATRN",
        ] {
            assert!(keyword_meaning(k).is_some(), "{k}");
        }
        assert!(keyword_meaning("X-NOT-A-THING").is_none());
    }

    #[test]
    fn commands_and_parameters() {
        let n = command_note("MAIL FROM:<a@example.org> SIZE=1048576 BODY=8BITMIME SMTPUTF8 REQUIRETLS");
        assert!(
            n.contains("<a@example.org>") && n.contains("1.0 MB") && n.contains("8-bit MIME"),
            "{n}"
        );
        assert!(n.contains("SMTPUTF8") && n.contains("REQUIRETLS"));
        let n = command_note("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net");
        assert!(
            n.contains("recipient <b@example.net>")
                && n.contains("success/failure")
                && n.contains("original recipient")
        );
        assert!(command_note("MAIL FROM:<> BODY=7BIT").contains("empty sender"));
        assert!(command_note("MAIL FROM:<a@b> AUTH=<>").contains("submitter unknown"));
        assert!(command_note("MAIL FROM:<a@b> BODY=BINARYMIME RET=HDRS ENVID=x1").contains("binary MIME"));
        assert!(command_note("EHLO office-pc.example.org").contains("as office-pc.example.org and asks"));
        assert!(command_note("ATRN example.org").contains("ATRN"));
        assert!(command_note("ETRN example.org").contains("example.org"));
        assert!(command_note("XCLIENT NAME=x ADDR=192.0.2.1").contains("proxy"));
        assert!(command_note("FROB x").contains("not a standard"));
        for verb in [
            "HELO x",
            "LHLO x",
            "DATA",
            "BDAT 10 LAST",
            "RSET",
            "NOOP",
            "QUIT",
            "VRFY x",
            "EXPN x",
            "HELP",
            "STARTTLS",
            "TURN",
            "XFORWARD NAME=x",
        ] {
            assert!(!command_note(verb).is_empty());
        }
    }

    #[test]
    fn sizes_read_like_limits() {
        assert_eq!(human_size(35_882_577), "35 MB");
        assert_eq!(human_size(1_500_000), "1.5 MB");
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(157_286_400), "157 MB");
    }
}
