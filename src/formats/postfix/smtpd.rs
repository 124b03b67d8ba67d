//! `smtpd` lines: inbound connections, their rejects, SASL and TLS notes, verbose chat, and the
//! disconnect counters that stand in for a transcript.

use super::text::{counters, is_debug_noise, peer_after_from, peer_at, split_qid, step_of_word};
use super::{concat, proc_id, proc_key, Emit, Inbound, Parser, ProcId};
use crate::formats::{InputLine, Item, Record};
use crate::model::{parse_reply_line, InfoKind, Step};

impl Parser {
    pub(super) fn smtpd(&mut self, line: &InputLine<'_>, name: &str, e: &mut Emit<'_>) {
        let proc = proc_id(line);
        let text = line.text;
        if let Some((client, payload)) = chat(text) {
            let conn = self.inbound_conn(proc, line, name, None, e);
            conn.transcript = true;
            let key = &conn.key;
            let item = if client {
                Item::Client(payload.to_owned())
            } else {
                Item::Server(payload.to_owned())
            };
            e.push(key, item);
            return;
        }
        let (qid, rest) = split_qid(text);
        if !self.held.is_empty() && !rest.starts_with("connect from ") {
            self.release_held(proc, e);
        }
        if let Some(r) = rest.strip_prefix("connect from ") {
            self.connect(proc, line, name, r, e);
        } else if let Some(r) = rest.strip_prefix("disconnect from ") {
            self.disconnect(proc, line, name, r, e);
        } else if let (Some(q), true) = (qid, rest.starts_with("client=")) {
            self.client_line(proc, line, name, q, rest, e);
        } else if let Some(r) = rest
            .strip_prefix("reject: ")
            .or_else(|| rest.strip_prefix("milter-reject: "))
            .or_else(|| rest.strip_prefix("proxy-reject: "))
        {
            self.reject(proc, line, name, r, e);
        } else if let Some((kind, step)) = broken_connection(rest) {
            let conn = self.inbound_conn(proc, line, name, peer_after_from(rest), e);
            mark_failed(conn, step);
            let key = &conn.key;
            e.push(key, Item::Info(kind, e.note(text)));
        } else if let Some(kind) = smtpd_note_kind(rest) {
            let conn = self.inbound_conn(proc, line, name, peer_after_from(rest), e);
            let kind = match kind {
                // With a transcript the 535 reply itself decides; the warning is its reason.
                InfoKind::AuthFailed if conn.transcript => InfoKind::Error,
                InfoKind::AuthFailed => {
                    conn.failed.auth = true;
                    kind
                }
                _ => kind,
            };
            e.push(&conn.key, Item::Info(kind, e.note(text)));
        } else {
            self.smtpd_other(proc, text, rest, e);
        }
    }

    fn connect(&mut self, proc: ProcId, line: &InputLine<'_>, name: &str, r: &str, e: &mut Emit<'_>) {
        if let Some(old) = self.inbound.remove(&proc) {
            // The previous connection of this process never logged its disconnect.
            e.push(&old.key, Item::End);
        }
        let peer = peer_at(r).map(|(p, _)| p);
        let conn = self.inbound_conn(proc, line, name, peer, e);
        let key = &conn.key;
        e.push(key, Item::Info(InfoKind::Connected, e.note(line.text)));
    }

    /// The connection of this process, opened (with a Begin) when the log did not show its
    /// `connect from` (it was in an earlier file).
    fn inbound_conn(
        &mut self,
        proc: ProcId,
        line: &InputLine<'_>,
        name: &str,
        peer: Option<&str>,
        e: &mut Emit<'_>,
    ) -> &mut Inbound {
        if !self.inbound.contains_key(&proc) {
            let key = self.new_key(proc_key(name, line.wrapper.pid));
            e.push(&key, Item::Begin);
            e.push(
                &key,
                Item::Peers {
                    client: peer.map(str::to_owned),
                    server: line.wrapper.host.map(str::to_owned),
                },
            );
            if let Some(mut held) = self.held.remove(&proc) {
                held.key = key.as_str().into();
                e.records.push(held);
            }
            let conn = Inbound {
                key,
                transcript: false,
                accepted: 0,
                auth_ok: false,
                failed: super::Failed::default(),
            };
            self.inbound.insert(proc, conn);
        }
        self.inbound.get_mut(&proc).expect("inserted above")
    }

    fn disconnect(&mut self, proc: ProcId, line: &InputLine<'_>, name: &str, r: &str, e: &mut Emit<'_>) {
        let (peer, used) = peer_at(r).unwrap_or(("", 0));
        let peer = (!peer.is_empty()).then_some(peer);
        self.inbound_conn(proc, line, name, peer, e);
        let Some(conn) = self.inbound.remove(&proc) else {
            return;
        };
        if !conn.transcript {
            counter_verdicts(&conn, &r[used..], e);
        }
        e.push(&conn.key, Item::Info(InfoKind::Closed, e.note(line.text)));
        e.push(&conn.key, Item::End);
    }

    /// `QUEUEID: client=name[ip][, sasl_method=…, sasl_username=…]`: the message's queue file
    /// exists (a recipient was accepted); later lines for the id belong to this connection.
    fn client_line(
        &mut self,
        proc: ProcId,
        line: &InputLine<'_>,
        name: &str,
        qid: &str,
        rest: &str,
        e: &mut Emit<'_>,
    ) {
        let peer = peer_at(&rest[7..]).map(|(p, _)| p);
        let conn = self.inbound_conn(proc, line, name, peer, e);
        let authenticated = rest.contains("sasl_username=");
        if authenticated {
            conn.auth_ok = true;
        }
        let key = conn.key.clone();
        let kind = if authenticated {
            InfoKind::AuthSucceeded
        } else {
            InfoKind::Note
        };
        e.push(&key, Item::Info(kind, e.note(line.text)));
        let entry = self.queue.entry(qid.to_owned()).or_default();
        entry.inbound = Some((key, proc));
    }

    /// `reject: RCPT from name[ip]: 554 5.7.1 <…>: Relay access denied; from=<…> to=<…> …`: the
    /// reply smtpd sent to a command the log names but does not show.
    fn reject(&mut self, proc: ProcId, line: &InputLine<'_>, name: &str, r: &str, e: &mut Emit<'_>) {
        // `RCPT from x[ip]: 554 …`, or a before-queue filter's `END-OF-MESSAGE: 554 …`.
        let (word, after) = r.split_once(' ').unwrap_or((r, ""));
        let word = word.trim_end_matches(':');
        let after = after.strip_prefix("from ").unwrap_or(after);
        let (peer, reply) = match peer_at(after) {
            Some((p, n)) => (Some(p), after[n..].strip_prefix(": ").unwrap_or(&after[n..])),
            None => (None, after),
        };
        let step = step_of_word(word);
        let conn = self.inbound_conn(proc, line, name, peer, e);
        mark_failed(conn, step);
        let key = &conn.key;
        if parse_reply_line(reply).is_some() {
            // `554 5.7.1 …: Relay access denied; from=<…> to=<…> proto=ESMTP helo=<…>`: the
            // reply the client saw, then the envelope Postfix logged with it.
            let context_at = rfinder!(b"; from=<")
                .rfind(reply.as_bytes())
                .or_else(|| rfinder!(b"; proto=").rfind(reply.as_bytes()));
            let (sent, context) = match context_at {
                Some(i) => (&reply[..i], Some(&reply[i + 2..])),
                None => (reply, None),
            };
            e.push(key, Item::ServerFor(step, sent.to_owned()));
            if let Some(context) = context {
                e.push(key, Item::Info(InfoKind::Note, e.note(context)));
            }
        } else {
            e.push(key, Item::Info(InfoKind::Rejected, e.note(line.text)));
        }
    }

    fn smtpd_other(&mut self, proc: ProcId, text: &str, rest: &str, e: &mut Emit<'_>) {
        if !self.inbound.contains_key(&proc) && is_pre_connect_warning(rest) {
            self.held.insert(
                proc,
                Record {
                    key: Default::default(),
                    line: e.line,
                    time: e.time,
                    item: Item::Info(InfoKind::Error, text.to_owned()),
                },
            );
            return;
        }
        match self.inbound.get(&proc) {
            Some(conn) if !is_debug_noise(rest) => {
                let kind = if rest.starts_with("warning: ") {
                    InfoKind::Error
                } else {
                    InfoKind::Note
                };
                e.push(&conn.key, Item::Info(kind, e.note(text)));
            }
            _ => e.unparsed(text),
        }
    }
}

impl Parser {
    /// A held pre-connect warning that no `connect from` followed belongs to no session.
    fn release_held(&mut self, proc: ProcId, e: &mut Emit<'_>) {
        if let Some(held) = self.held.remove(&proc) {
            release(held, e);
        }
    }

    /// Ends the parse: held warnings become unparsed lines.
    pub(super) fn release_all_held(&mut self, e: &mut Emit<'_>) {
        let mut held: Vec<Record> = self.held.drain().map(|(_, r)| r).collect();
        held.sort_by_key(|r| r.line);
        for r in held {
            release(r, e);
        }
    }
}

fn release(held: Record, e: &mut Emit<'_>) {
    if let Item::Info(_, text) = held.item {
        let mut e = Emit {
            records: e.records,
            line: held.line,
            time: held.time,
            bare_notes: e.bare_notes,
        };
        e.unparsed(&text);
    }
}

/// smtpd checks the client's name before it logs `connect from`, so these warnings come first:
/// `warning: hostname x does not resolve to address 192.0.2.1`, `warning: 192.0.2.1: address not
/// listed for hostname x`.
fn is_pre_connect_warning(rest: &str) -> bool {
    rest.starts_with("warning: hostname ")
        || (rest.starts_with("warning: ") && rest.contains(": address not listed for hostname "))
}

/// Verbose chat: `< name[ip]: EHLO x` is what the client sent, `> name[ip]: 250-…` what smtpd
/// answered (one log line per reply line).
fn chat(text: &str) -> Option<(bool, &str)> {
    let client = match text.as_bytes().get(..2)? {
        b"< " => true,
        b"> " => false,
        _ => return None,
    };
    let (_, used) = peer_at(&text[2..])?;
    let payload = text[2 + used..].strip_prefix(':')?;
    Some((client, payload.strip_prefix(' ').unwrap_or(payload)))
}

/// `lost connection after DATA (0 bytes) from …`, `timeout after RCPT from …`, `too many errors
/// after RCPT from …` (older logs, or after `NOQUEUE: ` since Postfix 3.10).
fn broken_connection(rest: &str) -> Option<(InfoKind, Step)> {
    let (kind, after) = if let Some(a) = rest.strip_prefix("lost connection after ") {
        (InfoKind::LostConnection, a)
    } else if let Some(a) = rest.strip_prefix("timeout after ") {
        (InfoKind::Timeout, a)
    } else if let Some(a) = rest.strip_prefix("too many errors after ") {
        (InfoKind::LostConnection, a)
    } else {
        return None;
    };
    let word = after.split([' ', '(']).next().unwrap_or("");
    Some((kind, step_of_word(word)))
}

/// Notes with their own meaning: SASL failures, TLS, pipelining violations.
fn smtpd_note_kind(rest: &str) -> Option<InfoKind> {
    let b = rest.as_bytes();
    if rest.starts_with("warning: ")
        && finder!(b" authentication failed").find(b).is_some()
        && finder!(b"SASL").find(b).is_some()
    {
        Some(InfoKind::AuthFailed)
    } else if finder!(b" TLS connection established from ").find(b).is_some() {
        Some(InfoKind::TlsStarted)
    } else if rest.starts_with("SSL_accept error from ") {
        Some(InfoKind::TlsFailed)
    } else if rest.starts_with("improper command pipelining after ") {
        Some(InfoKind::Error)
    } else {
        None
    }
}

fn mark_failed(conn: &mut Inbound, step: Step) {
    match step {
        Step::Auth => conn.failed.auth = true,
        Step::Mail => conn.failed.mail = true,
        Step::Rcpt => conn.failed.rcpt = true,
        Step::Data | Step::DataEnd | Step::Bdat | Step::BdatLast => conn.failed.data = true,
        _ => {}
    }
}

/// Without a transcript the `disconnect from` counters are the only record of commands that
/// failed without a log line of their own (`auth=0/1`: AUTH was tried and failed) and of
/// messages accepted (`data=1`) whose queue line has not arrived yet.
fn counter_verdicts(conn: &Inbound, counts: &str, e: &mut Emit<'_>) {
    for c in counters(counts) {
        let failed_already = match c.name {
            "auth" => conn.failed.auth,
            "mail" => conn.failed.mail,
            "rcpt" => conn.failed.rcpt,
            "data" | "bdat" => conn.failed.data,
            _ => continue,
        };
        let command = match c.name {
            "auth" => "AUTH",
            "mail" => "MAIL FROM",
            "rcpt" => "RCPT TO",
            "data" => "DATA",
            _ => "BDAT",
        };
        if c.ok < c.total && !failed_already {
            let kind = if c.name == "auth" {
                InfoKind::AuthFailed
            } else {
                InfoKind::Rejected
            };
            let text = e.note_made(|| {
                let (mut ok, mut total, mut refused) =
                    (itoa::Buffer::new(), itoa::Buffer::new(), itoa::Buffer::new());
                concat(&[
                    c.name,
                    "=",
                    ok.format(c.ok),
                    "/",
                    total.format(c.total),
                    ": ",
                    command,
                    " was refused ",
                    refused.format(c.total - c.ok),
                    " time(s) (disconnect counters)",
                ])
            });
            e.push(&conn.key, Item::Info(kind, text));
        }
        if c.name == "auth" && c.ok > 0 && !conn.auth_ok {
            let text = e.note_made(|| {
                concat(&[
                    "auth=",
                    itoa::Buffer::new().format(c.ok),
                    ": AUTH succeeded (disconnect counters)",
                ])
            });
            e.push(&conn.key, Item::Info(InfoKind::AuthSucceeded, text));
        }
        if matches!(c.name, "data" | "bdat") && c.ok > conn.accepted {
            let text = e.note_made(|| {
                concat(&[
                    c.name,
                    "=",
                    itoa::Buffer::new().format(c.ok),
                    ": message accepted for delivery (disconnect counters)",
                ])
            });
            e.push(&conn.key, Item::Info(InfoKind::Delivered, text));
        }
    }
}
