//! RFC 3463 enhanced status codes (`5.7.8`): class, subject and detail, read from the IANA
//! registry copy in `data/enhanced-status-codes.psv` (embedded at build time).

use crate::model::Enhanced;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The registry copy, embedded so the binary needs no data files at run time.
pub const REGISTRY_DATA: &str = include_str!("../../data/enhanced-status-codes.psv");

/// One registry entry (a class, a subject, or an enumerated `X.s.d` code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The registry's title, e.g. "Authentication credentials invalid".
    pub title: String,
    /// Basic codes the registry associates with it ("535, 554", "Not given").
    pub basic_codes: String,
    /// What it means, in plain words.
    pub explanation: String,
    /// Defining documents, e.g. "RFC4954".
    pub reference: String,
}

/// The parsed registry.
#[derive(Debug, Default)]
pub struct Registry {
    pub classes: HashMap<u8, Entry>,
    pub subjects: HashMap<u16, Entry>,
    /// Keyed by (subject, detail); the class is `X` in the registry.
    pub codes: HashMap<(u16, u16), Entry>,
    /// Codes in file order, as written (`X.7.8`), for listings and tests.
    pub order: Vec<(u16, u16)>,
}

/// A line of the data file that could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ParseError {
    pub line: usize,
    pub problem: String,
}

/// Parses the data file format (`kind|code|title|basic codes|explanation|reference`, `#`
/// comments). Strict, so a broken edit fails the tests instead of losing entries.
pub fn parse_registry(text: &str) -> Result<Registry, ParseError> {
    let mut reg = Registry::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |problem: String| ParseError { line: i + 1, problem };
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        if f.len() != 6 || f.iter().any(|x| x.is_empty()) {
            return Err(err(format!("expected 6 non-empty fields, found {}", f.len())));
        }
        let entry = Entry {
            title: f[2].to_owned(),
            basic_codes: f[3].to_owned(),
            explanation: f[4].to_owned(),
            reference: f[5].to_owned(),
        };
        match f[0] {
            "class" => {
                let c: u8 = f[1].parse().map_err(|_| err(format!("bad class '{}'", f[1])))?;
                reg.classes.insert(c, entry);
            }
            "subject" => {
                let s: u16 = f[1].parse().map_err(|_| err(format!("bad subject '{}'", f[1])))?;
                reg.subjects.insert(s, entry);
            }
            "code" => {
                let key = parse_x_code(f[1]).ok_or_else(|| err(format!("bad code '{}'", f[1])))?;
                if reg.codes.insert(key, entry).is_some() {
                    return Err(err(format!("duplicate code '{}'", f[1])));
                }
                reg.order.push(key);
            }
            other => return Err(err(format!("unknown kind '{other}'"))),
        }
    }
    Ok(reg)
}

/// `X.7.8` → (7, 8).
fn parse_x_code(s: &str) -> Option<(u16, u16)> {
    let rest = s.strip_prefix("X.")?;
    let (a, b) = rest.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The embedded registry, parsed once. A parse error (caught by tests) yields an empty one
/// rather than a panic, so explanations degrade to class meanings.
pub fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| parse_registry(REGISTRY_DATA).unwrap_or_default())
}

/// What an enhanced code means, as far as the registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnhancedInfo {
    pub code: Enhanced,
    /// "Permanent failure" etc.
    pub class: String,
    /// "Security or policy status" etc.
    pub subject: String,
    /// The enumerated entry, when the registry has this exact code.
    pub detail: Option<Entry>,
}

impl EnhancedInfo {
    /// One phrase: the detail's explanation, or the subject's for unregistered codes
    /// (`5.7.x: security or policy status`).
    pub fn phrase(&self) -> String {
        match &self.detail {
            Some(d) => d.explanation.clone(),
            None => format!(
                "{}.{}.x: {}",
                self.code.class,
                self.code.subject,
                self.subject.to_lowercase()
            ),
        }
    }
}

/// Looks up an enhanced code; unknown details still get class and subject.
pub fn lookup(code: Enhanced) -> EnhancedInfo {
    let reg = registry();
    let class = reg
        .classes
        .get(&code.class)
        .map_or_else(|| format!("class {}", code.class), |e| e.title.clone());
    let subject = reg
        .subjects
        .get(&code.subject)
        .map_or_else(|| format!("subject {}", code.subject), |e| e.title.clone());
    EnhancedInfo {
        code,
        class,
        subject,
        detail: reg.codes.get(&(code.subject, code.detail)).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every enumerated code of the IANA registry (Enumerated Status Codes), as published.
    const IANA_CODES: &[&str] = &[
        "X.0.0", "X.1.0", "X.1.1", "X.1.2", "X.1.3", "X.1.4", "X.1.5", "X.1.6", "X.1.7", "X.1.8", "X.1.9",
        "X.1.10", "X.2.0", "X.2.1", "X.2.2", "X.2.3", "X.2.4", "X.3.0", "X.3.1", "X.3.2", "X.3.3", "X.3.4",
        "X.3.5", "X.3.6", "X.4.0", "X.4.1", "X.4.2", "X.4.3", "X.4.4", "X.4.5", "X.4.6", "X.4.7", "X.5.0",
        "X.5.1", "X.5.2", "X.5.3", "X.5.4", "X.5.5", "X.5.6", "X.6.0", "X.6.1", "X.6.2", "X.6.3", "X.6.4",
        "X.6.5", "X.6.6", "X.6.7", "X.6.8", "X.6.9", "X.6.10", "X.7.0", "X.7.1", "X.7.2", "X.7.3", "X.7.4",
        "X.7.5", "X.7.6", "X.7.7", "X.7.8", "X.7.9", "X.7.10", "X.7.11", "X.7.12", "X.7.13", "X.7.14",
        "X.7.15", "X.7.16", "X.7.17", "X.7.18", "X.7.19", "X.7.20", "X.7.21", "X.7.22", "X.7.23", "X.7.24",
        "X.7.25", "X.7.26", "X.7.27", "X.7.28", "X.7.29", "X.7.30",
    ];

    #[test]
    fn data_file_parses_fully_and_names_its_source() {
        let reg = parse_registry(REGISTRY_DATA).expect("registry parses");
        let entries = REGISTRY_DATA
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(reg.classes.len() + reg.subjects.len() + reg.codes.len(), entries);
        assert_eq!(reg.classes.len(), 3);
        assert_eq!(reg.subjects.len(), 8);
        let header = REGISTRY_DATA.lines().take(3).collect::<String>();
        assert!(header.contains("iana.org/assignments/smtp-enhanced-status-codes"));
        assert!(header.contains("2026-12-01"));
    }

    #[test]
    fn every_registry_code_is_explained() {
        let reg = registry();
        let missing: Vec<&&str> = IANA_CODES
            .iter()
            .filter(|c| parse_x_code(c).and_then(|k| reg.codes.get(&k)).is_none())
            .collect();
        assert!(missing.is_empty(), "registry codes without an entry: {missing:?}");
        assert_eq!(
            reg.codes.len(),
            IANA_CODES.len(),
            "data file has codes not in the list"
        );
        for key in &reg.order {
            let e = &reg.codes[key];
            assert!(
                e.explanation.len() > 15,
                "X.{}.{} explanation too short",
                key.0,
                key.1
            );
            assert!(e.reference.contains("RFC") || e.reference.contains("draft"));
        }
    }

    #[test]
    fn known_and_unknown_codes() {
        let info = lookup(Enhanced::parse("5.7.8").unwrap());
        assert_eq!(info.class, "Permanent failure");
        assert_eq!(info.subject, "Security or policy status");
        assert_eq!(
            info.detail.as_ref().unwrap().title,
            "Authentication credentials invalid"
        );
        let unknown = lookup(Enhanced::parse("5.7.139").unwrap());
        assert!(unknown.detail.is_none());
        assert_eq!(unknown.phrase(), "5.7.x: security or policy status");
        assert!(lookup(Enhanced::parse("4.2.2").unwrap())
            .phrase()
            .contains("quota"));
    }

    #[test]
    fn broken_lines_are_reported() {
        assert_eq!(parse_registry("code|X.1.1|t|b|e").unwrap_err().line, 1);
        assert!(parse_registry("# c\ncode|Y.1.1|t|b|e|r").is_err());
        assert!(parse_registry("code|X.1.1|t|b|e|r\ncode|X.1.1|t|b|e|r").is_err());
        assert!(parse_registry("thing|1|t|b|e|r").is_err());
    }
}
