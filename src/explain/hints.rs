//! Provider hints: the real failures people search for most (Gmail, Microsoft 365, Yahoo,
//! blocklists, greylisting, TLS required), each with what it means, what to do, and where the
//! advice comes from. Matched on basic code, enhanced code, reply text and server name.

use crate::model::Enhanced;

/// Advice for one well-known failure.
#[derive(Debug, PartialEq, Eq)]
pub struct Hint {
    /// Stable name, for tests and JSON.
    pub id: &'static str,
    pub provider: &'static str,
    /// Basic codes it applies to (empty: any).
    pub codes: &'static [u16],
    /// Enhanced codes it applies to, written `5.7.8` (empty: any).
    pub enhanced: &'static [&'static str],
    /// Lower-case fragments of the reply text; one must occur (empty: no condition).
    pub text: &'static [&'static str],
    /// Lower-case fragments of the server's name or greeting, or of the reply text; one must
    /// occur (empty: any server).
    pub server: &'static [&'static str],
    pub meaning: &'static str,
    pub action: &'static str,
    /// The provider document or RFC the advice is based on.
    pub source: &'static str,
}

impl Hint {
    /// The action up to its first parenthesis or semicolon: short enough for a verdict.
    pub fn short_action(&self) -> &'static str {
        let end = self.action.find([';', '(']).unwrap_or(self.action.len());
        self.action[..end].trim_end()
    }
}

const GMAIL: &[&str] = &["gmail", "google", "gsmtp"];
const MICROSOFT: &[&str] = &[
    "outlook",
    "office365",
    "protection.outlook.com",
    "microsoft",
    "hotmail",
    "exchange",
];
const YAHOO: &[&str] = &["yahoo", "aol.com", "yahoodns", "[ts0", "[bl2"];

/// Most specific first: the first hint that matches wins.
pub const HINTS: &[Hint] = &[
    // Named in the reply text, so they win over provider-wide rules. Blocklists: Spamhaus
    // (check.spamhaus.org), Barracuda Central (barracudacentral.org/rbl), SpamCop
    // (spamcop.net/bl.shtml); relaying: postfix.org/SMTPD_ACCESS_README.html.
    Hint {
        id: "blocklist-spamhaus",
        provider: "Spamhaus",
        codes: &[550, 553, 554, 421, 450, 451],
        enhanced: &[],
        text: &["spamhaus"],
        server: &[],
        meaning: "the sending IP or domain is listed by Spamhaus (ZEN: SBL, XBL, PBL, or the DBL)",
        action: "look the IP up at check.spamhaus.org and follow its removal steps; a PBL listing means: send through your provider's authenticated relay",
        source: "Spamhaus: IP and domain reputation checker (check.spamhaus.org)",
    },
    Hint {
        id: "blocklist-barracuda",
        provider: "Barracuda",
        codes: &[550, 553, 554, 421],
        enhanced: &[],
        text: &["barracuda"],
        server: &[],
        meaning: "the sending IP is on the Barracuda Reputation Block List",
        action: "request removal at barracudacentral.org/rbl/removal-request after fixing the cause",
        source: "Barracuda Central: Barracuda Reputation Block List (barracudacentral.org/rbl)",
    },
    Hint {
        id: "blocklist-spamcop",
        provider: "SpamCop",
        codes: &[550, 553, 554, 421],
        enhanced: &[],
        text: &["spamcop"],
        server: &[],
        meaning: "the sending IP is listed by SpamCop (spam reports)",
        action: "check the listing at spamcop.net/bl.shtml; listings expire on their own once reports stop",
        source: "SpamCop: blocking list (spamcop.net/bl.shtml)",
    },
    Hint {
        id: "relay-denied",
        provider: "Relay",
        codes: &[554, 550, 454],
        enhanced: &[],
        text: &["relay access denied", "relaying denied", "relay not permitted", "unable to relay", "relay denied"],
        server: &[],
        meaning: "the server does not relay mail to other domains for this client",
        action: "log in (AUTH) before sending, or send through the server responsible for your domain",
        source: "Postfix: SMTP relay and access control (postfix.org/SMTPD_ACCESS_README.html); RFC 5321 §3.6",
    },
    // Google: "Gmail SMTP errors and codes", support.google.com/a/answer/3726730, and
    // "Sign in with app passwords", support.google.com/accounts/answer/185833.
    Hint {
        id: "gmail-bad-credentials",
        provider: "Gmail",
        codes: &[535],
        enhanced: &["5.7.8"],
        text: &[],
        server: GMAIL,
        meaning: "wrong username or password",
        action: "Gmail needs an app password for SMTP (Google Account > Security > 2-Step Verification > App passwords) or OAuth2; the normal password no longer works",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730); Sign in with app passwords (support.google.com/accounts/answer/185833)",
    },
    Hint {
        id: "gmail-app-password-required",
        provider: "Gmail",
        codes: &[534],
        enhanced: &["5.7.9"],
        text: &[],
        server: GMAIL,
        meaning: "the account has 2-Step Verification, so the account password is not accepted for SMTP",
        action: "create an app password and use it instead of the account password, or switch to OAuth2",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730); Sign in with app passwords (support.google.com/accounts/answer/185833)",
    },
    Hint {
        id: "gmail-web-login-required",
        provider: "Gmail",
        codes: &[534],
        enhanced: &["5.7.14"],
        text: &[],
        server: GMAIL,
        meaning: "Google blocked the sign-in as suspicious and wants a browser login first",
        action: "sign in to the account in a web browser, confirm the blocked sign-in, then use an app password or OAuth2",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730); Fix problems sending mail (support.google.com/mail/answer/7126229)",
    },
    Hint {
        id: "gmail-unauthenticated-sender",
        provider: "Gmail",
        codes: &[550, 421],
        enhanced: &["5.7.26", "4.7.26"],
        text: &[],
        server: GMAIL,
        meaning: "the message failed Gmail's sender authentication: SPF and DKIM did not pass or DMARC failed",
        action: "publish SPF for the sending server, sign with DKIM, and add a DMARC record for the From domain",
        source: "Google: Email sender guidelines (support.google.com/a/answer/81126); RFC 7372 §3.3",
    },
    Hint {
        id: "gmail-ptr",
        provider: "Gmail",
        codes: &[550, 421],
        enhanced: &["5.7.25", "4.7.25"],
        text: &[],
        server: GMAIL,
        meaning: "the sending IP address has no valid reverse DNS (PTR) record",
        action: "ask whoever owns the sending IP to set a PTR record whose name resolves back to the same IP",
        source: "Google: Email sender guidelines (support.google.com/a/answer/81126); RFC 7372 §3.4",
    },
    Hint {
        id: "gmail-rate-limited",
        provider: "Gmail",
        codes: &[421, 450, 451, 550],
        enhanced: &["4.7.28", "5.7.28", "4.7.0"],
        text: &["unusual rate", "rate limit", "rate-limit", "too many"],
        server: GMAIL,
        meaning: "Gmail is rate-limiting this sender: too much mail, or mail that looks unsolicited, in a short time",
        action: "slow down, retry later, and check the sending domain's reputation (Google Postmaster Tools)",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730); Email sender guidelines (support.google.com/a/answer/81126)",
    },
    Hint {
        id: "gmail-tls-required",
        provider: "Gmail",
        codes: &[421, 530],
        enhanced: &["4.7.0", "5.7.0"],
        text: &["tls", "starttls"],
        server: GMAIL,
        meaning: "Gmail requires an encrypted connection before this command",
        action: "use STARTTLS on port 587 (or implicit TLS on port 465) before logging in",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730); RFC 3207",
    },
    Hint {
        id: "gmail-suspicious",
        provider: "Gmail",
        codes: &[421],
        enhanced: &["4.7.0"],
        text: &[],
        server: GMAIL,
        meaning: "Gmail temporarily refused the connection (suspicious activity, rate or policy)",
        action: "retry later; if it persists, check SPF/DKIM/DMARC and the sending IP's reputation",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730)",
    },
    Hint {
        id: "gmail-sending-limit",
        provider: "Gmail",
        codes: &[550, 421, 451],
        enhanced: &["5.4.5", "4.4.5"],
        text: &[],
        server: GMAIL,
        meaning: "the account reached Gmail's daily sending limit",
        action: "wait up to 24 hours, or send bulk mail through a service made for it",
        source: "Google: Gmail sending limits (support.google.com/a/answer/166852)",
    },
    Hint {
        id: "gmail-spam-policy",
        provider: "Gmail",
        codes: &[550, 421],
        enhanced: &["5.7.1", "4.7.1"],
        text: &[],
        server: GMAIL,
        meaning: "Gmail refused the message by policy (likely unsolicited, or the sender is not allowed)",
        action: "check the reason in the reply text, the sender's SPF/DKIM/DMARC, and the content; Google Postmaster Tools shows reputation",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730)",
    },
    Hint {
        id: "gmail-over-quota",
        provider: "Gmail",
        codes: &[452, 552],
        enhanced: &["4.2.2", "5.2.2"],
        text: &[],
        server: GMAIL,
        meaning: "the recipient's mailbox is out of storage",
        action: "the recipient must free space; retrying later may work",
        source: "Google: Gmail SMTP errors (support.google.com/a/answer/3726730)",
    },
    // Microsoft: "Enable or disable SMTP AUTH in Exchange Online" (learn.microsoft.com/
    // exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission)
    // and "Email non-delivery reports and SMTP errors in Exchange Online".
    Hint {
        id: "microsoft-smtp-auth-disabled",
        provider: "Microsoft 365",
        codes: &[535, 550, 554],
        enhanced: &["5.7.139"],
        text: &[],
        server: &[],
        meaning: "Microsoft 365 refused the login: SMTP AUTH (basic authentication) is disabled for the tenant or mailbox, or security defaults block it",
        action: "enable Authenticated SMTP for the mailbox (Microsoft 365 admin center > user > Mail > Manage email apps) or switch the client to OAuth2",
        source: "Microsoft Learn: Enable or disable SMTP AUTH in Exchange Online; Deprecation of Basic authentication in Exchange Online",
    },
    Hint {
        id: "microsoft-auth-unsuccessful",
        provider: "Microsoft 365",
        codes: &[535],
        enhanced: &["5.7.3"],
        text: &[],
        server: MICROSOFT,
        meaning: "Microsoft 365 rejected the login: wrong credentials, or SMTP AUTH is disabled or blocked by MFA",
        action: "check the username (full address) and password, enable SMTP AUTH for the mailbox, or use OAuth2",
        source: "Microsoft Learn: Enable or disable SMTP AUTH in Exchange Online",
    },
    Hint {
        id: "microsoft-not-authenticated",
        provider: "Microsoft 365",
        codes: &[530, 550],
        enhanced: &["5.7.57"],
        text: &[],
        server: &[],
        meaning: "the client sent mail without logging in, and Microsoft 365 only accepts mail from authenticated clients",
        action: "turn on SMTP authentication in the client (smtp.office365.com, port 587, STARTTLS, the mailbox's credentials)",
        source: "Microsoft Learn: How to set up a multifunction device or application to send email using Microsoft 365 (5.7.57)",
    },
    Hint {
        id: "microsoft-ip-blocked-708",
        provider: "Microsoft 365",
        codes: &[550],
        enhanced: &["5.7.708"],
        text: &[],
        server: &[],
        meaning: "Microsoft does not accept traffic from this IP (poor reputation, often a new or compromised tenant)",
        action: "send from an IP with good reputation; if the tenant is yours, contact Microsoft support",
        source: "Microsoft Learn: Fix NDR error codes 5.7.700 through 5.7.750 in Exchange Online",
    },
    Hint {
        id: "microsoft-unregistered-domain-750",
        provider: "Microsoft 365",
        codes: &[550],
        enhanced: &["5.7.750"],
        text: &[],
        server: &[],
        meaning: "the tenant sent from a domain that is not added and verified in Microsoft 365",
        action: "add and verify the sending domain in the Microsoft 365 admin center",
        source: "Microsoft Learn: Fix NDR error codes 5.7.700 through 5.7.750 in Exchange Online",
    },
    Hint {
        id: "microsoft-send-as-denied",
        provider: "Microsoft 365",
        codes: &[550, 554],
        enhanced: &["5.7.60", "5.2.252"],
        text: &[],
        server: &[],
        meaning: "the logged-in mailbox may not send as the address in MAIL FROM/From",
        action: "send from the mailbox's own address, or grant it Send As permission on that address",
        source: "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
    },
    Hint {
        id: "microsoft-blocklist",
        provider: "Outlook.com",
        codes: &[550, 554],
        enhanced: &["5.7.1", "5.7.511"],
        text: &["block list", "blocklist", "banned", "s3140", "s3150", "s3115", "sender.office.com"],
        server: &[],
        meaning: "the sending IP is on Microsoft's block list",
        action: "request delisting: sender.office.com for Microsoft 365, the Outlook.com sender support form for consumer mailboxes",
        source: "Microsoft Learn: Use the delist portal to remove yourself from the blocked senders list",
    },
    Hint {
        id: "microsoft-policy",
        provider: "Microsoft 365",
        codes: &[550, 554],
        enhanced: &["5.7.1"],
        text: &[],
        server: MICROSOFT,
        meaning: "Microsoft refused the message by policy (relay not allowed, sender not permitted, or filtered)",
        action: "read the reply text; log in before sending and check that the recipient accepts mail from this sender",
        source: "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
    },
    Hint {
        id: "microsoft-throttled",
        provider: "Microsoft 365",
        codes: &[451, 452, 421],
        enhanced: &["4.7.500", "4.7.501", "4.7.502", "4.7.503", "4.7.504", "4.7.505", "4.7.506", "4.7.507", "4.7.650"],
        text: &[],
        server: &[],
        meaning: "Microsoft is temporarily throttling this sending IP",
        action: "retry later at a lower rate; new IPs must build reputation gradually",
        source: "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online (4.7.500-699)",
    },
    // Yahoo/AOL: Yahoo Sender Hub, "SMTP error codes" (senders.yahooinc.com/smtp-error-codes).
    Hint {
        id: "yahoo-tss04",
        provider: "Yahoo/AOL",
        codes: &[421],
        enhanced: &[],
        text: &["[tss04]", "tss04"],
        server: &[],
        meaning: "Yahoo is deferring mail from this IP: unexpected volume or user complaints",
        action: "slow down and retry later; reduce complaints (only mail people who asked for it) and check the complaint feedback loop",
        source: "Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes)",
    },
    Hint {
        id: "yahoo-tss09",
        provider: "Yahoo/AOL",
        codes: &[421],
        enhanced: &[],
        text: &["[tss09]", "tss09"],
        server: &[],
        meaning: "Yahoo is deferring all mail from this IP because of its reputation; retrying will not help",
        action: "fix the sending practices and reputation, then ask Yahoo's sender support to review the IP",
        source: "Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes)",
    },
    Hint {
        id: "yahoo-blocked",
        provider: "Yahoo/AOL",
        codes: &[553, 554],
        enhanced: &["5.7.1", "5.7.9"],
        text: &[],
        server: YAHOO,
        meaning: "Yahoo refused mail from this IP or domain (a blocklist such as Spamhaus, or DMARC policy)",
        action: "check the IP on public blocklists and the domain's SPF/DKIM/DMARC, then contact Yahoo sender support",
        source: "Yahoo Sender Hub: SMTP error codes (senders.yahooinc.com/smtp-error-codes); Sender requirements",
    },
    Hint {
        id: "blocklist-generic",
        provider: "DNS blocklist",
        codes: &[550, 553, 554, 421],
        enhanced: &[],
        text: &["blocked using", "listed at", "listed in", "blacklisted", "blocklisted", "dnsbl", " rbl"],
        server: &[],
        meaning: "the sending IP is on a DNS blocklist the receiver uses",
        action: "look the IP up on the blocklist named in the reply and follow its delisting procedure",
        source: "RFC 5782 (DNS blacklists and whitelists)",
    },
    // Greylisting: RFC 6647 (Email Greylisting: An Applicability Statement).
    Hint {
        id: "greylisting",
        provider: "Greylisting",
        codes: &[450, 451],
        enhanced: &[],
        text: &["greylist", "graylist", "grey-list", "gray-list", "greylisted"],
        server: &[],
        meaning: "the receiver greylists first-time senders: it refuses once and accepts a retry a few minutes later",
        action: "nothing to fix: a normal mail server retries; a client that does not retry should try again after 5-15 minutes",
        source: "RFC 6647 (Email Greylisting: An Applicability Statement)",
    },
    Hint {
        id: "greylisting-likely",
        provider: "Greylisting",
        codes: &[450, 451],
        enhanced: &["4.7.1", "4.2.0"],
        text: &["try again later", "please retry", "come back later", "temporarily rejected"],
        server: &[],
        meaning: "a temporary refusal of this kind is usually greylisting",
        action: "retry after a few minutes; a normal mail server does this by itself",
        source: "RFC 6647 (Email Greylisting: An Applicability Statement)",
    },
    // TLS required before AUTH/MAIL: RFC 3207 §4, RFC 4954 §6.
    Hint {
        id: "starttls-required",
        provider: "TLS required",
        codes: &[530, 538, 523, 524],
        enhanced: &[],
        text: &["starttls", "tls", "encryption"],
        server: &[],
        meaning: "the server requires an encrypted connection before this command",
        action: "enable STARTTLS in the client (port 587) or implicit TLS (port 465) before logging in",
        source: "RFC 3207 §4 (530 Must issue a STARTTLS command first); RFC 4954 §6 (538)",
    },

];

/// The first hint matching a reply. `basic` is `None` when only an enhanced code is known
/// (`smtpscope explain 5.7.139`); `server` holds what the session says about the server (its
/// name, greeting), and the reply text counts as well.
pub fn find(
    basic: Option<u16>,
    enhanced: Option<Enhanced>,
    text: &str,
    server: &str,
) -> Option<&'static Hint> {
    let text = text.to_ascii_lowercase();
    let server = server.to_ascii_lowercase();
    let enhanced = enhanced.map(|e| e.to_string());
    if basic.is_none() && enhanced.is_none() {
        return None;
    }
    HINTS.iter().find(|h| {
        (h.codes.is_empty() || basic.is_none_or(|b| h.codes.contains(&b)))
            && (h.enhanced.is_empty() || enhanced.as_deref().is_some_and(|e| h.enhanced.contains(&e)))
            && (h.text.is_empty() || h.text.iter().any(|t| text.contains(t)))
            && (h.server.is_empty() || h.server.iter().any(|s| server.contains(s) || text.contains(s)))
    })
}

#[cfg(test)]
#[path = "hints_tests.rs"]
mod tests;
