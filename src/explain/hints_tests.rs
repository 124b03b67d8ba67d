//! Tests of the provider hints: each well-known failure finds its hint, others none.

use super::*;
use crate::model::parse_reply_line;

fn hint_for(line: &str, server: &str) -> Option<&'static str> {
    let r = parse_reply_line(line).unwrap();
    find(Some(r.code), r.enhanced, r.text, server).map(|h| h.id)
}

#[test]
fn provider_failures_are_recognised() {
    let cases = [
        ("535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials", "smtp.gmail.com", "gmail-bad-credentials"),
        ("534 5.7.9 Application-specific password required", "smtp.gmail.com:587", "gmail-app-password-required"),
        ("534 5.7.14 Please log in via your web browser", "smtp.gmail.com", "gmail-web-login-required"),
        ("550 5.7.26 This mail is unauthenticated - gsmtp", "", "gmail-unauthenticated-sender"),
        ("550 5.7.25 The IP address sending this message does not have a PTR record - gsmtp", "", "gmail-ptr"),
        ("421 4.7.0 Try again later, closing connection. (EHLO) - gsmtp", "", "gmail-suspicious"),
        ("421 4.7.0 TLS required for this domain - gsmtp", "", "gmail-tls-required"),
        ("421 4.7.28 Our system has detected an unusual rate of unsolicited mail - gsmtp", "", "gmail-rate-limited"),
        ("550 5.7.1 This message is likely unsolicited mail - gsmtp", "", "gmail-spam-policy"),
        ("550 5.4.5 Daily user sending limit exceeded", "smtp.gmail.com", "gmail-sending-limit"),
        ("552 5.2.2 The recipient's inbox is out of storage space - gsmtp", "", "gmail-over-quota"),
        ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant", "smtp.office365.com", "microsoft-smtp-auth-disabled"),
        ("535 5.7.3 Authentication unsuccessful [AM0PR10CA0042.EURPRD10.PROD.OUTLOOK.COM]", "", "microsoft-auth-unsuccessful"),
        ("530 5.7.57 Client not authenticated to send mail.", "smtp.office365.com", "microsoft-not-authenticated"),
        ("550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", "mail.protection.outlook.com", "microsoft-ip-blocked-708"),
        ("550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.", "", "microsoft-unregistered-domain-750"),
        ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Spamhaus", "example-com.mail.protection.outlook.com", "blocklist-spamhaus"),
        ("550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Part of their network is on our block list (S3150)", "outlook.com", "microsoft-blocklist"),
        ("554 5.7.1 Relay access denied", "outlook.com", "relay-denied"),
        ("550 5.7.1 Message rejected as spam by Content Filtering.", "outlook.com", "microsoft-policy"),
        ("451 4.7.500 Server busy. Please try again later from [192.0.2.1].", "", "microsoft-throttled"),
        ("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints", "", "yahoo-tss04"),
        ("421 4.7.0 [TSS09] All messages from 192.0.2.1 will be permanently deferred", "", "yahoo-tss09"),
        ("553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1", "mta7.am0.yahoodns.net", "yahoo-blocked"),
        ("554 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "", "blocklist-spamhaus"),
        ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation", "", "blocklist-barracuda"),
        ("554 5.7.1 Rejected: listed at bl.spamcop.net", "", "blocklist-spamcop"),
        ("550 5.7.1 Client host rejected: blocked using dnsbl.example.org", "", "blocklist-generic"),
        ("450 4.7.1 <a@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/", "", "greylisting"),
        ("451 4.7.1 Please try again later", "", "greylisting-likely"),
        ("530 5.7.0 Must issue a STARTTLS command first", "mail.example.net", "starttls-required"),
        ("554 5.7.1 <x@example.com>: Relay access denied", "mail.example.net", "relay-denied"),
    ];
    for (line, server, id) in cases {
        assert_eq!(hint_for(line, server), Some(id), "{line}");
    }
}

#[test]
fn unrelated_replies_get_no_hint() {
    assert_eq!(
        hint_for("535 5.7.8 Error: authentication failed", "mail.example.net"),
        None
    );
    assert_eq!(hint_for("250 2.0.0 Ok: queued", "smtp.gmail.com"), None);
    assert_eq!(hint_for("550 5.1.1 User unknown", "mail.example.net"), None);
    let only_enhanced = find(None, Enhanced::parse("5.7.139"), "", "").map(|h| h.id);
    assert_eq!(only_enhanced, Some("microsoft-smtp-auth-disabled"));
    assert!(find(None, Enhanced::parse("5.7.8"), "", "").is_none());
}

#[test]
fn every_hint_names_its_source() {
    for h in HINTS {
        assert!(
            !h.source.is_empty() && !h.action.is_empty() && !h.meaning.is_empty(),
            "{}",
            h.id
        );
    }
    let mut ids: Vec<&str> = HINTS.iter().map(|h| h.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), HINTS.len(), "duplicate hint ids");
}
