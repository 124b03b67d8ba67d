//! Which step of the SMTP dialogue a command is, or which step a reply answers.

/// A command verb, plus the two replies that answer no command: the greeting and the reply
/// after the message data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Greeting,
    Helo,
    Ehlo,
    Lhlo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The end of message data (`.`): its reply says whether the message was accepted.
    DataEnd,
    Bdat,
    /// `BDAT n LAST`: the final chunk, whose reply decides the message like `DataEnd`.
    BdatLast,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    Turn,
    Etrn,
    Xclient,
    Xforward,
    /// Anything else a client sent that looks like a command.
    Other,
}

impl Step {
    /// Recognises the command verb at the start of a client line (case-insensitive).
    pub fn of_command(line: &str) -> Step {
        let verb: &str = line.trim_start().split([' ', ':', '\t']).next().unwrap_or("");
        let up = verb.to_ascii_uppercase();
        match up.as_str() {
            "HELO" => Step::Helo,
            "EHLO" => Step::Ehlo,
            "LHLO" => Step::Lhlo,
            "STARTTLS" => Step::StartTls,
            "AUTH" => Step::Auth,
            "MAIL" => Step::Mail,
            "RCPT" => Step::Rcpt,
            "DATA" => Step::Data,
            "BDAT" => {
                if line.to_ascii_uppercase().split_whitespace().any(|w| w == "LAST") {
                    Step::BdatLast
                } else {
                    Step::Bdat
                }
            }
            "RSET" => Step::Rset,
            "NOOP" => Step::Noop,
            "QUIT" => Step::Quit,
            "VRFY" => Step::Vrfy,
            "EXPN" => Step::Expn,
            "HELP" => Step::Help,
            "TURN" | "ATRN" => Step::Turn,
            "ETRN" => Step::Etrn,
            "XCLIENT" => Step::Xclient,
            "XFORWARD" => Step::Xforward,
            _ => Step::Other,
        }
    }

    /// True when `line` starts with a known SMTP verb (used by content-based direction rules).
    pub fn is_known_command(line: &str) -> bool {
        Step::of_command(line) != Step::Other
    }

    /// The verb as written on the wire, for explanations and summaries.
    pub fn name(self) -> &'static str {
        match self {
            Step::Greeting => "greeting",
            Step::Helo => "HELO",
            Step::Ehlo => "EHLO",
            Step::Lhlo => "LHLO",
            Step::StartTls => "STARTTLS",
            Step::Auth => "AUTH",
            Step::Mail => "MAIL FROM",
            Step::Rcpt => "RCPT TO",
            Step::Data => "DATA",
            Step::DataEnd => "end of data",
            Step::Bdat => "BDAT",
            Step::BdatLast => "BDAT LAST",
            Step::Rset => "RSET",
            Step::Noop => "NOOP",
            Step::Quit => "QUIT",
            Step::Vrfy => "VRFY",
            Step::Expn => "EXPN",
            Step::Help => "HELP",
            Step::Turn => "TURN",
            Step::Etrn => "ETRN",
            Step::Xclient => "XCLIENT",
            Step::Xforward => "XFORWARD",
            Step::Other => "command",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_verbs() {
        assert_eq!(Step::of_command("MAIL FROM:<a@b>"), Step::Mail);
        assert_eq!(Step::of_command("rcpt to:<a@b>"), Step::Rcpt);
        assert_eq!(Step::of_command("BDAT 100 LAST"), Step::BdatLast);
        assert_eq!(Step::of_command("bGFiQG5hbm9wby5zdA=="), Step::Other);
    }
}
