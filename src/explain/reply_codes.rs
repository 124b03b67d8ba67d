//! Basic (three-digit) SMTP reply codes: RFC 5321 and the codes SMTP extensions added, with
//! what each means and whether it is permanent. Unknown codes still get their class meaning.

use crate::model::Step;

/// One meaning of a basic code. Some codes mean different things after different commands
/// (454 after STARTTLS vs after AUTH), so an entry may name the command it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicCode {
    pub code: u16,
    /// The command this meaning applies to; `None` for the general meaning.
    pub after: Option<Step>,
    pub meaning: &'static str,
    /// The document that defines it, e.g. `RFC 5321 §4.2.3`.
    pub source: &'static str,
}

const fn e(code: u16, after: Option<Step>, meaning: &'static str, source: &'static str) -> BasicCode {
    BasicCode {
        code,
        after,
        meaning,
        source,
    }
}

const RFC5321: &str = "RFC 5321 §4.2";
const AUTH: Option<Step> = Some(Step::Auth);
const TLS: Option<Step> = Some(Step::StartTls);

/// Every basic code the standards define, most general meaning first for each code.
pub const BASIC_CODES: &[BasicCode] = &[
    e(211, None, "system status or help reply", RFC5321),
    e(214, None, "help message for a human reader", RFC5321),
    e(220, None, "service ready: the server greets the client", RFC5321),
    e(220, TLS, "ready to start TLS: the connection is encrypted from here on", "RFC 3207 §4"),
    e(221, None, "service closing the connection", RFC5321),
    e(235, None, "authentication succeeded", "RFC 4954 §6"),
    e(250, None, "requested action okay, completed", RFC5321),
    e(251, None, "user not local; the server will forward the message", RFC5321),
    e(252, None, "cannot verify the user, but the server will accept the message and try to deliver it", RFC5321),
    e(253, None, "OK, delivery of queued messages for the node has started (ETRN)", "RFC 1985 §5"),
    e(334, None, "server challenge: the client must send the next part of the authentication (base64)", "RFC 4954 §4"),
    e(354, None, "start mail input; end with a line holding only \".\"", RFC5321),
    e(421, None, "service not available: the server is closing the connection (temporary)", RFC5321),
    e(422, None, "a password transition is needed before this mechanism can be used", "RFC 5248 (X.7.12)"),
    e(432, None, "a password transition is needed: log in once with PLAIN to enable this mechanism", "RFC 4954 §6"),
    e(450, None, "mailbox unavailable for now (busy, or temporarily blocked by policy)", RFC5321),
    e(451, None, "action aborted: local error in processing (temporary)", RFC5321),
    e(452, None, "insufficient system storage, or too many recipients for now", RFC5321),
    e(453, None, "you have no mail queued (ATRN), or the system is not accepting network messages", "RFC 2645 §4"),
    e(454, None, "temporary failure: TLS not available or authentication temporarily failed", "RFC 3207 §4, RFC 4954 §6"),
    e(454, TLS, "TLS not available due to a temporary reason", "RFC 3207 §4"),
    e(454, AUTH, "temporary authentication failure (e.g. the password store is unavailable)", "RFC 4954 §6"),
    e(455, None, "server unable to accommodate the MAIL/RCPT parameters for now", RFC5321),
    e(458, None, "unable to queue messages for the node (ETRN/ATRN)", "RFC 1985 §5"),
    e(459, None, "node not allowed to request queued mail (ETRN/ATRN)", "RFC 1985 §5"),
    e(500, None, "syntax error, command unrecognised (or the line was too long)", RFC5321),
    e(500, AUTH, "authentication exchange line too long", "RFC 4954 §6"),
    e(501, None, "syntax error in parameters or arguments", RFC5321),
    e(501, TLS, "syntax error: STARTTLS takes no parameters", "RFC 3207 §4"),
    e(501, AUTH, "syntax error in the AUTH command or the client cancelled the exchange", "RFC 4954 §4"),
    e(502, None, "command not implemented", RFC5321),
    e(503, None, "bad sequence of commands", RFC5321),
    e(504, None, "command parameter not implemented (e.g. an unknown AUTH mechanism)", RFC5321),
    e(521, None, "this host does not accept mail at all", "RFC 7504 §3"),
    e(523, None, "encryption needed for the requested authentication mechanism", "RFC 5248 (X.7.10)"),
    e(524, None, "encryption required for the requested authentication mechanism", "RFC 5248 (X.7.11)"),
    e(525, None, "user account disabled", "RFC 5248 (X.7.13)"),
    e(530, None, "access denied: authentication (or STARTTLS) is required first", "RFC 4954 §6, RFC 3207 §4"),
    e(534, None, "authentication mechanism is too weak for this user", "RFC 4954 §6"),
    e(535, None, "authentication credentials invalid: the login was rejected", "RFC 4954 §6"),
    e(538, None, "encryption required for the requested authentication mechanism", "RFC 4954 §6"),
    e(550, None, "requested action not taken: mailbox unavailable (not found, no access, or refused by policy)", RFC5321),
    e(551, None, "user not local; the client should try another path", RFC5321),
    e(552, None, "requested mail action aborted: exceeded storage allocation (message size or quota)", "RFC 5321 §4.2, RFC 1870 §6"),
    e(553, None, "requested action not taken: mailbox name not allowed (bad address syntax, or a non-ASCII address without SMTPUTF8)", "RFC 5321 §4.2, RFC 6531 §3.5"),
    e(554, None, "transaction failed (or, as a greeting, no SMTP service here)", RFC5321),
    e(555, None, "MAIL FROM/RCPT TO parameters not recognised or not implemented", RFC5321),
    e(556, None, "the recipient's domain does not accept mail (null MX)", "RFC 7504 §3"),
];

/// Codes every SMTP standard defines; a test keeps [`BASIC_CODES`] complete against it.
pub const STANDARD_CODES: &[(u16, &str)] = &[
    (211, "RFC 5321"),
    (214, "RFC 5321"),
    (220, "RFC 5321"),
    (221, "RFC 5321"),
    (250, "RFC 5321"),
    (251, "RFC 5321"),
    (252, "RFC 5321"),
    (354, "RFC 5321"),
    (421, "RFC 5321"),
    (450, "RFC 5321"),
    (451, "RFC 5321"),
    (452, "RFC 5321"),
    (455, "RFC 5321"),
    (500, "RFC 5321"),
    (501, "RFC 5321"),
    (502, "RFC 5321"),
    (503, "RFC 5321"),
    (504, "RFC 5321"),
    (550, "RFC 5321"),
    (551, "RFC 5321"),
    (552, "RFC 5321"),
    (553, "RFC 5321"),
    (554, "RFC 5321"),
    (555, "RFC 5321"),
    (235, "RFC 4954"),
    (334, "RFC 4954"),
    (432, "RFC 4954"),
    (454, "RFC 4954"),
    (500, "RFC 4954"),
    (530, "RFC 4954"),
    (534, "RFC 4954"),
    (535, "RFC 4954"),
    (538, "RFC 4954"),
    (220, "RFC 3207"),
    (454, "RFC 3207"),
    (501, "RFC 3207"),
    (530, "RFC 3207"),
    (552, "RFC 1870"),
    (250, "RFC 3030"),
    (552, "RFC 3030"),
    (554, "RFC 3030"),
    (553, "RFC 6531"),
    (550, "RFC 6531"),
    (521, "RFC 7504"),
    (556, "RFC 7504"),
    (253, "RFC 1985"),
    (458, "RFC 1985"),
    (459, "RFC 1985"),
    (453, "RFC 2645"),
];

/// Permanent, temporary, success or intermediate, from the first digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeClass {
    Success,
    Intermediate,
    Temporary,
    Permanent,
    Unknown,
}

impl CodeClass {
    pub fn of(code: u16) -> CodeClass {
        match code / 100 {
            2 => CodeClass::Success,
            3 => CodeClass::Intermediate,
            4 => CodeClass::Temporary,
            5 => CodeClass::Permanent,
            _ => CodeClass::Unknown,
        }
    }

    /// A word for JSON and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeClass::Success => "success",
            CodeClass::Intermediate => "intermediate",
            CodeClass::Temporary => "temporary",
            CodeClass::Permanent => "permanent",
            CodeClass::Unknown => "unknown",
        }
    }

    /// What the class means for the sender.
    pub fn meaning(self) -> &'static str {
        match self {
            CodeClass::Success => "success",
            CodeClass::Intermediate => "the server waits for more input",
            CodeClass::Temporary => "temporary failure: the sender may retry later",
            CodeClass::Permanent => "permanent failure: retrying unchanged will not help",
            CodeClass::Unknown => "not a valid SMTP reply class",
        }
    }
}

/// The meaning of `code`, preferring the one for the command it answers.
pub fn lookup(code: u16, after: Option<Step>) -> Option<&'static BasicCode> {
    let mut general = None;
    for entry in BASIC_CODES.iter().filter(|b| b.code == code) {
        if entry.after.is_some() && entry.after == after {
            return Some(entry);
        }
        if entry.after.is_none() && general.is_none() {
            general = Some(entry);
        }
    }
    general
}

/// The meaning of `code` as a phrase, falling back to the class meaning for unknown codes.
pub fn meaning(code: u16, after: Option<Step>) -> String {
    match lookup(code, after) {
        Some(b) => b.meaning.to_owned(),
        None => format!("{code}: {}", CodeClass::of(code).meaning()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_code_has_a_meaning() {
        let missing: Vec<String> = STANDARD_CODES
            .iter()
            .filter(|(c, _)| lookup(*c, None).is_none())
            .map(|(c, rfc)| format!("{c} ({rfc})"))
            .collect();
        assert!(missing.is_empty(), "codes without an entry: {missing:?}");
    }

    #[test]
    fn command_specific_meanings_win() {
        assert!(lookup(454, Some(Step::StartTls)).unwrap().meaning.contains("TLS"));
        assert!(lookup(454, Some(Step::Auth))
            .unwrap()
            .meaning
            .contains("authentication"));
        assert!(lookup(454, Some(Step::Mail)).unwrap().after.is_none());
        assert!(lookup(530, Some(Step::Mail))
            .unwrap()
            .meaning
            .contains("STARTTLS"));
    }

    #[test]
    fn unknown_codes_get_their_class() {
        assert!(lookup(479, None).is_none());
        assert!(meaning(479, None).contains("temporary"));
        assert!(meaning(599, None).contains("permanent"));
        assert_eq!(CodeClass::of(535), CodeClass::Permanent);
        assert_eq!(CodeClass::of(421), CodeClass::Temporary);
        assert_eq!(CodeClass::of(334), CodeClass::Intermediate);
    }
}
