//! PHPMailer echo-mode debug output (SMTPDebug 3), one connection after another.

use super::{addr, qid, Clock, Expected, Line, Mixer, Out, Rng, Status};
use std::collections::VecDeque;
use std::io::{self, Write};

/// PHPMailer echo-mode output (`SMTPDebug = 3`): one connection after another, as a cron job
/// sending mail writes them; multi-line replies continue on indented lines.
pub(super) fn write<W: Write>(
    out: &mut Out<W>,
    rng: &mut Rng,
    target: u64,
    exp: &mut Expected,
) -> io::Result<()> {
    let mut clock = Clock { ms: 0 };
    // One sender at a time: concurrency 1.
    Mixer::run(out, rng, &mut clock, target, 1, |rng, _| {
        (0, phpmailer_session(rng, exp))
    })
}

fn php(text: String) -> Line {
    Box::new(move |c: &Clock| format!("{}\t{text}", c.plain()))
}

const CONT: &str = "                   \t                  ";

fn phpmailer_session(rng: &mut Rng, exp: &mut Expected) -> VecDeque<Line> {
    let mut l: VecDeque<Line> = VecDeque::new();
    let server = rng.pick(&["smtp.example.net", "mail.example.org", "smtp.example.com"]);
    let from = addr(rng);
    let to = addr(rng);
    let s = |t: &str| php(format!("SERVER -> CLIENT: {t}"));
    let c = |t: &str| php(format!("CLIENT -> SERVER: {t}"));
    l.push_back(php(format!(
        "Connection: opening to {server}:587, timeout=300, options=array()"
    )));
    let roll = rng.below(1000);
    if roll < 30 {
        l.push_back(php(
            "SMTP ERROR: Failed to connect to server: Connection timed out (110)".into(),
        ));
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(php("Connection: opened".into()));
    l.push_back(s(&format!("220 {server} ESMTP Postfix")));
    let ehlo = |l: &mut VecDeque<Line>, auth: bool| {
        l.push_back(c("EHLO app.example.org"));
        let mut reply = format!("250-{server}\n{CONT}250-PIPELINING\n{CONT}250-SIZE 10240000\n");
        if auth {
            reply.push_str(&format!("{CONT}250-AUTH PLAIN LOGIN\n"));
        } else {
            reply.push_str(&format!("{CONT}250-STARTTLS\n"));
        }
        reply.push_str(&format!("{CONT}250 8BITMIME"));
        l.push_back(s(&reply));
    };
    ehlo(&mut l, false);
    l.push_back(c("STARTTLS"));
    l.push_back(s("220 2.0.0 Ready to start TLS"));
    ehlo(&mut l, true);
    l.push_back(c("AUTH LOGIN"));
    l.push_back(s("334 VXNlcm5hbWU6"));
    l.push_back(c("[credentials hidden]"));
    l.push_back(s("334 UGFzc3dvcmQ6"));
    l.push_back(c("[credentials hidden]"));
    let close = |l: &mut VecDeque<Line>| {
        l.push_back(c("QUIT"));
        l.push_back(s("221 2.0.0 Bye"));
        l.push_back(php("Connection: closed".into()));
    };
    if roll < 90 {
        l.push_back(s(
            "535 5.7.8 Error: authentication failed: authentication failure",
        ));
        l.push_back(php("SMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed: authentication failure".into()));
        close(&mut l);
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(s("235 2.7.0 Authentication successful"));
    l.push_back(c(&format!("MAIL FROM:<{from}>")));
    l.push_back(s("250 2.1.0 Ok"));
    let partial = (90..140).contains(&roll);
    let refused = (140..170).contains(&roll);
    if partial || refused {
        l.push_back(c("RCPT TO:<nobody@example.com>"));
        l.push_back(s("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table"));
        l.push_back(php("SMTP ERROR: RCPT TO command failed: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table".into()));
    }
    if refused {
        close(&mut l);
        exp.count(Status::Failure);
        return l;
    }
    l.push_back(c(&format!("RCPT TO:<{to}>")));
    l.push_back(s("250 2.1.5 Ok"));
    l.push_back(c("DATA"));
    l.push_back(s("354 End data with <CR><LF>.<CR><LF>"));
    let id = rng.below(1 << 40);
    for h in [
        "Date: Sun, 22 Nov 2026 10:00:00 +0000".to_owned(),
        format!("To: <{to}>"),
        format!("From: Shop <{from}>"),
        format!("Subject: Your order {id}"),
        format!("Message-ID: <{id}@app.example.org>"),
        "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)".to_owned(),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=us-ascii".to_owned(),
        String::new(),
        "Thank you for your order. It ships tomorrow.".to_owned(),
        String::new(),
        ".".to_owned(),
    ] {
        l.push_back(c(&h));
    }
    l.push_back(s(&format!("250 2.0.0 Ok: queued as {}", qid(rng))));
    close(&mut l);
    exp.count(if partial { Status::Partial } else { Status::Success });
    l
}
