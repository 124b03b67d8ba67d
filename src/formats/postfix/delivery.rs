//! Outbound `smtp`/`lmtp` delivery attempts (one session per connection, the remote server's
//! reply as the decisive reply) and the queue-id lines of `cleanup`, `qmgr`, `local`… that
//! attach to the connection that received the message.

use super::text::{delivery, host_part, is_debug_noise, peer_at, quoted_reply, split_qid, step_in_reply_to};
use super::{concat, proc_id, proc_key, Emit, Outbound, Parser, ProcId};
use crate::formats::{InputLine, Item};
use crate::model::{InfoKind, Step};

/// What a `status=` word means for the attempt itself, and for the connection that received
/// the message (where it is an onward note that leaves that session's status alone).
fn status_kinds(status: &str) -> (InfoKind, InfoKind) {
    match status {
        "sent" => (InfoKind::Delivered, InfoKind::OnwardDelivered),
        "deferred" => (InfoKind::Deferred, InfoKind::OnwardDeferred),
        "bounced" | "expired" => (InfoKind::Bounced, InfoKind::OnwardBounced),
        _ => (InfoKind::Note, InfoKind::Note),
    }
}

/// Failures of the connection itself in a delivery reason (no SMTP reply to quote).
fn connection_failure(reason: &str) -> Option<InfoKind> {
    if reason.starts_with("connect to ") {
        Some(InfoKind::ConnectFailed)
    } else if reason.starts_with("lost connection with ") {
        Some(InfoKind::LostConnection)
    } else if reason.starts_with("conversation with ") && reason.contains(" timed out") {
        Some(InfoKind::Timeout)
    } else {
        None
    }
}

impl Parser {
    pub(super) fn outbound_line(&mut self, line: &InputLine<'_>, name: &str, e: &mut Emit<'_>) {
        let proc = proc_id(line);
        let text = line.text;
        if let Some((command, server, payload)) = client_chat(text) {
            // Replies still belong to a connection whose QUIT is unanswered; a command after
            // QUIT, or a reply after its answer, starts the next connection.
            let reuse = |c: &Outbound| !c.ended && if command { c.quit == 0 } else { c.quit < 2 };
            let conn = self.attempt(proc, line, name, Some(server), None, e, reuse);
            conn.verbose = true;
            if command && payload.eq_ignore_ascii_case("QUIT") {
                conn.quit = 1;
            } else if !command && conn.quit == 1 {
                conn.quit = 2;
            }
            let key = &conn.key;
            let item = if command {
                Item::Client(payload.to_owned())
            } else {
                Item::Server(payload.to_owned())
            };
            e.push(key, item);
            return;
        }
        let (qid, rest) = split_qid(text);
        let qid = qid.filter(|q| *q != "NOQUEUE");
        if rest.starts_with("to=<") {
            self.recipient_status(proc, line, name, qid, rest, e);
        } else if let Some(r) = rest.strip_prefix("connect to ") {
            // Each failed address is its own connection attempt.
            let server = peer_at(r).map(|(p, _)| p);
            let conn = self.attempt(proc, line, name, server, qid, e, |_| false);
            conn.connect_failed = true;
            let key = &conn.key;
            e.push(key, Item::Info(InfoKind::ConnectFailed, e.note(text)));
        } else if let Some((kind, server)) = connection_note(rest) {
            let conn = self.attempt(proc, line, name, Some(server), qid, e, |c| {
                !c.has_status && c.quit == 0
            });
            let key = &conn.key;
            e.push(key, Item::Info(kind, e.note(text)));
        } else if let Some(server) = qid.and(remote_said(rest)) {
            let conn = self.attempt(proc, line, name, Some(server), qid, e, |c| {
                !c.has_status && c.quit == 0
            });
            let key = &conn.key;
            remote_reply(key, text, rest, e);
        } else {
            match self.outbound.get(&proc) {
                Some(c) if !is_debug_noise(rest) => {
                    let item = if c.ended {
                        Item::Late(InfoKind::Note, e.late_note(text))
                    } else {
                        Item::Info(InfoKind::Note, e.note(text))
                    };
                    e.push(&c.key, item);
                }
                _ => e.unparsed(text),
            }
        }
    }

    /// The current attempt of this process when `reuse` accepts it and it talks to `server`;
    /// otherwise the current one ends and a new one begins.
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &mut self,
        proc: ProcId,
        line: &InputLine<'_>,
        name: &str,
        server: Option<&str>,
        qid: Option<&str>,
        e: &mut Emit<'_>,
        reuse: impl Fn(&Outbound) -> bool,
    ) -> &mut Outbound {
        let same_server = |c: &Outbound| match (server, &c.server) {
            (Some(s), Some(cs)) => host_part(s) == cs,
            _ => true,
        };
        let same_qid = |c: &Outbound| match (qid, &c.qid) {
            (Some(q), Some(cq)) => q == cq,
            _ => true,
        };
        let keep = self
            .outbound
            .get(&proc)
            .is_some_and(|c| reuse(c) && same_server(c) && same_qid(c));
        if !keep {
            if let Some(old) = self.outbound.remove(&proc).filter(|o| !o.ended) {
                e.push(&old.key, Item::End);
            }
            let key = self.new_key(proc_key(name, line.wrapper.pid));
            e.push(&key, Item::Begin);
            e.push(
                &key,
                Item::Peers {
                    client: line.wrapper.host.map(str::to_owned),
                    server: server.map(str::to_owned),
                },
            );
            let conn = Outbound {
                key,
                server: server.map(|s| host_part(s).to_owned()),
                qid: None,
                has_status: false,
                verbose: false,
                quit: 0,
                data_end_shown: false,
                connect_failed: false,
                ended: false,
                last_line: line.number,
            };
            self.outbound.insert(proc, conn);
        }
        let conn = self.outbound.get_mut(&proc).expect("inserted above");
        conn.last_line = line.number;
        if conn.server.is_none() {
            conn.server = server.map(|s| host_part(s).to_owned());
        }
        if let (None, Some(q)) = (&conn.qid, qid) {
            conn.qid = Some(q.to_owned());
            e.push(&conn.key, Item::Id(concat(&[&conn.key, ":", q])));
        }
        conn
    }

    /// `QUEUEID: to=<…>, relay=…, …, status=bounced (host x[ip] said: 550 5.1.1 … (in reply to
    /// RCPT TO command))`: one recipient's result in this attempt, and an onward note for the
    /// connection that received the message.
    fn recipient_status(
        &mut self,
        proc: ProcId,
        line: &InputLine<'_>,
        name: &str,
        qid: Option<&str>,
        rest: &str,
        e: &mut Emit<'_>,
    ) {
        let Some(d) = delivery(rest) else {
            e.unparsed(line.text);
            return;
        };
        let server = d
            .relay
            .filter(|r| *r != "none" && !r.starts_with("local"))
            .or_else(|| {
                d.reason
                    .strip_prefix("connect to ")
                    .and_then(|r| peer_at(r).map(|(p, _)| p))
            });
        let conn = self.attempt(proc, line, name, server, qid, e, |c| c.quit == 0);
        conn.has_status = true;
        let (kind, onward) = status_kinds(d.status);
        let key = conn.key.clone();
        let text = e.late_note(line.text);
        if conn.verbose {
            // The transcript already holds the replies.
            e.push(&key, Item::Late(InfoKind::Note, text.clone()));
        } else if conn.ended {
            // Another recipient of an attempt already ended: only late notes reach it.
            let repeat = d.status == "sent" && conn.data_end_shown;
            e.push(
                &key,
                Item::Late(if repeat { InfoKind::Note } else { kind }, text.clone()),
            );
        } else {
            let step = if d.status == "sent" {
                Some(Step::DataEnd)
            } else {
                step_in_reply_to(d.reason)
            };
            match (quoted_reply(d.reason), step) {
                (Some(reply), Some(step)) => {
                    if step != Step::DataEnd || !conn.data_end_shown {
                        conn.data_end_shown |= step == Step::DataEnd;
                        e.push(&key, Item::ServerFor(step, reply.to_owned()));
                    }
                    e.push(&key, Item::Late(InfoKind::Note, text.clone()));
                }
                _ => {
                    if let Some(k) = connection_failure(d.reason).filter(|_| !conn.connect_failed) {
                        conn.connect_failed = true;
                        e.push(&key, Item::Info(k, e.note(d.reason)));
                    }
                    e.push(&key, Item::Late(kind, text.clone()));
                }
            }
            // Without a transcript nothing more is logged for this connection; more
            // recipients of the same attempt may follow as late notes.
            e.push(&key, Item::End);
            conn.ended = true;
        }
        if let Some(q) = qid {
            let entry = match self.queue.get_mut(q) {
                Some(entry) => entry,
                None => self.queue.entry(q.to_owned()).or_default(),
            };
            if let Some((inbound, _)) = &entry.inbound {
                e.push(inbound, Item::Late(onward, text));
            }
            entry.outbound = Some(key);
        }
    }

    /// Lines of the other daemons that carry a queue id (`cleanup`, `qmgr`, `local`, `bounce`…):
    /// they attach to the connection that received the message, else to its last delivery
    /// attempt; lines of no SMTP session (master, anvil, pickup of local mail) stay unparsed.
    pub(super) fn queue_line(&mut self, line: &InputLine<'_>, service: &str, e: &mut Emit<'_>) {
        let text = line.text;
        let (Some(qid), rest) = split_qid(text) else {
            e.unparsed(text);
            return;
        };
        let Some(entry) = self.queue.get(qid) else {
            e.unparsed(text);
            return;
        };
        let removed = rest == "removed";
        match &entry.inbound {
            Some((key, proc)) => {
                let conn = self.inbound.get(proc).filter(|c| &c.key == key);
                let (open, transcript) = (conn.is_some(), conn.is_some_and(|c| c.transcript));
                let kind = if rest.starts_with("to=<") {
                    delivery(rest).map_or(InfoKind::Note, |d| status_kinds(d.status).1)
                } else if service == "cleanup"
                    && (rest.starts_with("reject: ") || rest.starts_with("milter-reject: "))
                {
                    InfoKind::Rejected
                } else if service == "qmgr" && rest.starts_with("from=<") && rest.contains("status=expired") {
                    InfoKind::OnwardBounced
                } else if service == "qmgr" && rest.starts_with("from=<") && open && !transcript {
                    // Queued while the client is still connected: the message was accepted
                    // (a transcript shows the `250 … queued as` itself).
                    InfoKind::Delivered
                } else {
                    InfoKind::Note
                };
                if open {
                    let conn = self.inbound.get_mut(proc).expect("checked open");
                    match kind {
                        InfoKind::Delivered => conn.accepted += 1,
                        InfoKind::Rejected => conn.failed.data = true,
                        _ => {}
                    }
                }
                e.push(key, Item::Late(kind, e.late_note(text)));
            }
            None => match &entry.outbound {
                Some(key) => e.push(key, Item::Late(InfoKind::Note, e.late_note(text))),
                None => e.unparsed(text),
            },
        }
        if removed {
            self.queue.remove(qid);
        }
    }
}

/// Verbose client chat: `> mx[ip]:25: EHLO x` (sent by Postfix), `< mx[ip]:25: 250-…`.
fn client_chat(text: &str) -> Option<(bool, &str, &str)> {
    let command = match text.as_bytes().get(..2)? {
        b"> " => true,
        b"< " => false,
        _ => return None,
    };
    let (server, used) = peer_at(&text[2..])?;
    let payload = text[2 + used..].strip_prefix(':')?;
    Some((command, server, payload.strip_prefix(' ').unwrap_or(payload)))
}

/// TLS notes of a connection: `Verified TLS connection established to mx[ip]:25: …`,
/// `SSL_connect error to mx[ip]:25: …`.
fn connection_note(rest: &str) -> Option<(InfoKind, &str)> {
    let b = rest.as_bytes();
    if let Some(i) = memchr::memmem::find(b, b" TLS connection established to ") {
        return peer_at(&rest[i + 31..]).map(|(p, _)| (InfoKind::TlsStarted, p));
    }
    let r = rest.strip_prefix("SSL_connect error to ")?;
    peer_at(r).map(|(p, _)| (InfoKind::TlsFailed, p))
}

/// The server named in `host mx[ip] said: …`, `host mx[ip] refused to talk to me: …`,
/// `lost connection with mx[ip] while …`, `conversation with mx[ip] timed out while …`.
fn remote_said(rest: &str) -> Option<&str> {
    let r = rest
        .strip_prefix("host ")
        .or_else(|| rest.strip_prefix("lost connection with "))
        .or_else(|| rest.strip_prefix("conversation with "))?;
    peer_at(r).map(|(p, _)| p)
}

/// A remote reply or broken conversation logged on its own line (before trying the next MX).
fn remote_reply(key: &str, text: &str, rest: &str, e: &mut Emit<'_>) {
    if let Some(reply) = quoted_reply(rest) {
        e.push(
            key,
            Item::ServerFor(step_in_reply_to(rest).unwrap_or(Step::Other), reply.to_owned()),
        );
        return;
    }
    if let Some(i) = memchr::memmem::find(rest.as_bytes(), b" refused to talk to me: ") {
        let reply = &rest[i + 24..];
        if crate::model::parse_reply_line(reply).is_some() {
            e.push(key, Item::ServerFor(Step::Greeting, reply.to_owned()));
            return;
        }
    }
    let kind = connection_failure(rest).unwrap_or(InfoKind::Note);
    e.push(key, Item::Info(kind, e.note(text)));
}
