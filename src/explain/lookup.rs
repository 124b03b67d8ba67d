//! `smtpscope explain CODE...`: explains reply codes, enhanced codes or whole reply lines
//! given on the command line, as plain text or one JSON object per argument.

use super::{explain_reply, ReplyExplanation};
use crate::model::{parse_reply_line, Enhanced};
use crate::sanitize::escape_controls;
use serde::Serialize;
use std::io::{self, Write};

/// One thing to explain, read from an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub input: String,
    pub code: Option<u16>,
    pub enhanced: Option<Enhanced>,
    /// Reply text after the codes, when a whole line was given.
    pub text: String,
}

/// Reads `535`, `5.7.8`, `535 5.7.8` or a whole reply line. `None` when it holds no code.
pub fn parse_query(arg: &str) -> Option<Query> {
    let t = arg.trim();
    if let Some(r) = parse_reply_line(t) {
        return Some(Query {
            input: t.to_owned(),
            code: Some(r.code),
            enhanced: r.enhanced,
            text: r.text.trim().to_owned(),
        });
    }
    let (e, n) = Enhanced::parse_prefix(t)?;
    Some(Query {
        input: t.to_owned(),
        code: None,
        enhanced: Some(e),
        text: t[n..].trim().to_owned(),
    })
}

/// Parses every argument; `535 5.7.8` typed unquoted (two arguments) becomes one query.
pub fn parse_args(args: &[String]) -> Vec<Result<Query, String>> {
    let mut out: Vec<Result<Query, String>> = Vec::new();
    for arg in args {
        let Some(q) = parse_query(arg) else {
            out.push(Err(arg.clone()));
            continue;
        };
        if let (Some(Ok(prev)), None, Some(e)) = (out.last_mut(), q.code, q.enhanced) {
            let joinable = prev.enhanced.is_none()
                && prev.text.is_empty()
                && prev.code.is_some_and(|c| c / 100 == u16::from(e.class));
            if joinable {
                prev.enhanced = Some(e);
                prev.input = format!("{} {}", prev.input, q.input);
                prev.text = q.text;
                continue;
            }
        }
        out.push(Ok(q));
    }
    out
}

fn explain_query(q: &Query) -> ReplyExplanation {
    // Without a session the reply text is all we know about the server.
    explain_reply(q.code, q.enhanced, None, &q.text, "")
}

/// The plain-text explanation of one query. Only the user's own input is escaped: the
/// rest is this program's text.
pub fn text_for(q: &Query) -> String {
    let ex = explain_query(q);
    let mut out = format!("{}\n", escape_controls(&q.input));
    if let Some(code) = q.code {
        match ex.basic {
            Some(b) => out.push_str(&format!("  {code}: {} [{}]\n", b.meaning, b.source)),
            None => out.push_str(&format!("  {code}: not a registered code\n")),
        }
        out.push_str(&format!("      {}\n", ex.class().meaning()));
    }
    if let Some(e) = &ex.enhanced {
        out.push_str(&format!("  {}: {} / {}", e.code, e.class, e.subject));
        match &e.detail {
            Some(d) => out.push_str(&format!(
                " / {}\n      {} [{}]\n",
                d.title, d.explanation, d.reference
            )),
            None => out.push_str(&format!(
                "\n      {} (detail {} is not in the registry)\n",
                e.phrase(),
                e.code.detail
            )),
        }
    }
    if let Some(h) = ex.hint {
        out.push_str(&format!("  Hint ({}): {}\n", h.provider, h.meaning));
        out.push_str(&format!("      What to do: {}\n", h.action));
        out.push_str(&format!("      Source: {}\n", h.source));
    }
    out
}

#[derive(Serialize)]
struct JsonExplanation<'a> {
    input: &'a str,
    code: Option<u16>,
    enhanced: Option<String>,
    class: &'static str,
    meaning: String,
    basic: Option<JsonBasic>,
    enhanced_info: Option<JsonEnhanced>,
    hint: Option<JsonHint>,
}

#[derive(Serialize)]
struct JsonBasic {
    meaning: &'static str,
    source: &'static str,
}

#[derive(Serialize)]
struct JsonEnhanced {
    class: String,
    subject: String,
    detail: Option<String>,
    explanation: String,
    reference: Option<String>,
}

#[derive(Serialize)]
struct JsonHint {
    id: &'static str,
    provider: &'static str,
    meaning: &'static str,
    action: &'static str,
    source: &'static str,
}

/// The JSON object of one query.
pub fn json_for(q: &Query) -> String {
    let ex = explain_query(q);
    let js = JsonExplanation {
        input: &q.input,
        code: q.code,
        enhanced: q.enhanced.map(|e| e.to_string()),
        class: ex.class().as_str(),
        meaning: ex.phrase(),
        basic: ex.basic.map(|b| JsonBasic {
            meaning: b.meaning,
            source: b.source,
        }),
        enhanced_info: ex.enhanced.as_ref().map(|e| JsonEnhanced {
            class: e.class.clone(),
            subject: e.subject.clone(),
            detail: e.detail.as_ref().map(|d| d.title.clone()),
            explanation: e.phrase(),
            reference: e.detail.as_ref().map(|d| d.reference.clone()),
        }),
        hint: ex.hint.map(|h| JsonHint {
            id: h.id,
            provider: h.provider,
            meaning: h.meaning,
            action: h.action,
            source: h.source,
        }),
    };
    let json = serde_json::to_string(&js).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    crate::sanitize::escape_json_text(json)
}

/// Runs `smtpscope explain`: returns the exit code (2 when an argument holds no code).
pub fn run(args: &[String], json: bool, out: &mut impl Write, err: &mut impl Write) -> io::Result<i32> {
    let mut status = 0;
    for (n, q) in parse_args(args).iter().enumerate() {
        match q {
            Ok(q) if json => writeln!(out, "{}", json_for(q))?,
            Ok(q) => {
                if n > 0 {
                    writeln!(out)?;
                }
                write!(out, "{}", text_for(q))?;
            }
            Err(arg) => {
                status = 2;
                writeln!(
                    err,
                    "smtpscope: '{}' is not a reply code; give e.g. 535, 5.7.8, \"535 5.7.8\" or a whole reply line",
                    escape_controls(arg)
                )?;
            }
        }
    }
    Ok(status)
}

/// `smtpscope explain` on the real stdout/stderr; a closed pipe is a normal end.
pub fn run_cli(args: &[String], json: bool) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    match run(args, json, &mut out, &mut err).and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "smtpscope: writing output: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_of_every_shape() {
        let q = parse_args(&args(&[
            "535",
            "5.7.8",
            "550-5.1.1 The email account does not exist",
            "nonsense",
            "5.7.139",
        ]));
        assert_eq!(q.len(), 4);
        let first = q[0].as_ref().unwrap();
        assert_eq!(
            (first.code, first.enhanced.map(|e| e.to_string())),
            (Some(535), Some("5.7.8".into()))
        );
        let line = q[1].as_ref().unwrap();
        assert_eq!(line.code, Some(550));
        assert_eq!(line.text, "The email account does not exist");
        assert_eq!(q[2], Err("nonsense".to_owned()));
        assert_eq!(q[3].as_ref().unwrap().code, None);
        // A 4xx code and a 5.x.x code are two separate questions.
        assert_eq!(parse_args(&args(&["421", "5.7.1"])).len(), 2);
    }

    #[test]
    fn text_names_code_registry_entry_and_hint() {
        let q = parse_query(
            "535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials",
        )
        .unwrap();
        let t = text_for(&q);
        assert!(t.contains("535: authentication credentials invalid"), "{t}");
        assert!(
            t.contains(
                "5.7.8: Permanent failure / Security or policy status / Authentication credentials invalid"
            ),
            "{t}"
        );
        assert!(t.contains("Hint (Gmail)") && t.contains("app password"), "{t}");
        let unknown = text_for(&parse_query("479").unwrap());
        assert!(unknown.contains("temporary failure"), "{unknown}");
        let sub = text_for(&parse_query("5.7.99").unwrap());
        assert!(sub.contains("5.7.x: security or policy status"), "{sub}");
    }

    #[test]
    fn json_has_the_parts() {
        let v: serde_json::Value = serde_json::from_str(&json_for(
            &parse_query("530 5.7.57 Client not authenticated").unwrap(),
        ))
        .unwrap();
        assert_eq!(v["code"], 530);
        assert_eq!(v["enhanced"], "5.7.57");
        assert_eq!(v["class"], "permanent");
        assert_eq!(v["hint"]["id"], "microsoft-not-authenticated");
        assert_eq!(v["enhanced_info"]["subject"], "Security or policy status");
    }
}
