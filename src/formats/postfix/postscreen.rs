//! `postscreen` lines: one process screens many clients at once, so its connections are keyed
//! by the client's `[ip]:port`, from `CONNECT from` to `PASS NEW|OLD` (handed to smtpd) or
//! `DISCONNECT`.

use super::text::{peer_at, split_qid, step_of_word};
use super::{concat, proc_key, Emit, Parser};
use crate::formats::{InputLine, Item};
use crate::model::{parse_reply_line, InfoKind};

impl Parser {
    pub(super) fn postscreen_line(&mut self, line: &InputLine<'_>, name: &str, e: &mut Emit<'_>) {
        let text = line.text;
        if let Some(r) = text.strip_prefix("CONNECT from ") {
            let Some((client, used)) = peer_at(r) else {
                e.unparsed(text);
                return;
            };
            let server = r[used..]
                .strip_prefix(" to ")
                .and_then(|s| peer_at(s).map(|(p, _)| p));
            if let Some(old) = self.postscreen.remove(client) {
                e.push(&old, Item::End);
            }
            // Client ports rarely repeat and postscreen logs nothing late, so this key need not
            // be unique (the assembler numbers a repeat).
            let key = concat(&[&proc_key(name, line.wrapper.pid), " ", client]);
            e.push(&key, Item::Begin);
            e.push(
                &key,
                Item::Peers {
                    client: Some(client.to_owned()),
                    server: server.map(str::to_owned),
                },
            );
            e.push(&key, Item::Info(InfoKind::Connected, e.note(text)));
            self.postscreen.insert(client.to_owned(), key);
            return;
        }
        let Some(client) = first_client(text) else {
            e.unparsed(text);
            return;
        };
        let Some(key) = self.postscreen.get(client).cloned() else {
            e.unparsed(text);
            return;
        };
        let (_, rest) = split_qid(text);
        let ends = rest.starts_with("PASS ") || rest.starts_with("DISCONNECT ");
        let item = if let Some(r) = rest.strip_prefix("reject: ") {
            let (word, after) = r.split_once(' ').unwrap_or((r, ""));
            let reply = after
                .split_once(": ")
                .map(|(_, reply)| reply)
                .filter(|reply| parse_reply_line(reply).is_some());
            match reply {
                Some(reply) => {
                    let sent = reply.split_once("; from=<").map_or(reply, |(sent, _)| sent);
                    Item::ServerFor(step_of_word(word), sent.to_owned())
                }
                None => Item::Info(InfoKind::Rejected, e.note(text)),
            }
        } else {
            Item::Info(screen_kind(rest), e.note(text))
        };
        e.push(&key, item);
        if ends {
            e.push(&key, Item::End);
            self.postscreen.remove(client);
        }
    }
}

/// The first `[ip]:port` in a postscreen line: the client it is about.
fn first_client(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &b[from..]) {
        let at = from + i;
        if let Some((peer, _)) = peer_at(&text[at..]) {
            if peer.ends_with(|c: char| c.is_ascii_digit()) && peer.contains("]:") {
                return Some(peer);
            }
        }
        from = at + 1;
    }
    None
}

fn screen_kind(rest: &str) -> InfoKind {
    const BAD_CLIENT: [&str; 5] = [
        "PREGREET ",
        "COMMAND ",
        "BARE NEWLINE ",
        "NON-SMTP COMMAND ",
        "warning: ",
    ];
    if rest.starts_with("DISCONNECT ") {
        InfoKind::Closed
    } else if rest.starts_with("HANGUP ") {
        InfoKind::LostConnection
    } else if rest.starts_with("DENYLISTED ") || rest.starts_with("BLACKLISTED ") {
        InfoKind::Rejected
    } else if BAD_CLIENT.iter().any(|p| rest.starts_with(p)) {
        InfoKind::Error
    } else {
        InfoKind::Note
    }
}
