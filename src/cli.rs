//! Command-line definitions (clap derive) and nothing else.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Turns SMTP logs into readable, explained conversations.
///
/// Give log files, directories or `-` for standard input. Without --list or --json a terminal
/// gets the interactive viewer; a pipe gets the list.
#[derive(Parser, Debug, Clone)]
#[command(name = "smtpscope", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// `smtpscope explain CODE...`; without a subcommand, log files are read.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Log files, directories (every file in them), or `-` for standard input. Gzip files are
    /// read transparently.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print one line per session instead of opening the viewer.
    #[arg(short, long, conflicts_with = "json")]
    pub list: bool,

    /// Print one JSON object per session per line (NDJSON).
    #[arg(short, long)]
    pub json: bool,

    /// Follow the inputs as they grow (live tail): existing content first, then new lines;
    /// rotated, truncated and not-yet-created files are followed by name. On a terminal the
    /// viewer follows new sessions (any move pauses, F resumes); with --list or --json a session
    /// is printed once it has finished; `-f -` follows standard input until its end.
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// With -f: notice growth by looking every 250 ms instead of through inotify (for network
    /// file systems, where inotify does not see other machines' writes).
    #[arg(long, requires = "follow")]
    pub poll: bool,

    /// Read every input as this format instead of detecting it (see --formats).
    #[arg(short = 'F', long, value_name = "NAME")]
    pub format: Option<String>,

    /// List the supported formats, how to recognise them and how to turn each log on.
    #[arg(long)]
    pub formats: bool,

    /// Show credentials (AUTH payloads) instead of masking them.
    #[arg(long)]
    pub reveal_secrets: bool,

    /// Year for timestamps that have none (syslog); default: the file's modification year.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,

    /// Show only sessions matching a filter: `5xx`, `535`, `5.7.*`, `4xx,5xx`, `!2xx`, `failed`,
    /// `ok`, `partial`, `open`, free text (`gmail.com`), `since:-1h`, `until:11:30`; words
    /// separated by spaces must all match. Applies to --list, --json and the viewer.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Only sessions that end at or after this time (`2026-03-02T10:00`, `10:00`, `-1h`).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only sessions that start at or before this time (`2026-03-02T11:30`, `11:30`, `-10m`).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Viewer: ASCII symbols instead of Unicode (automatic when the locale is not UTF-8).
    #[arg(long)]
    pub ascii: bool,

    /// When to use colour in the viewer.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Subcommands beside the default "read these logs".
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Explain reply codes, enhanced status codes or whole reply lines: `535`, `5.7.8`,
    /// `"535 5.7.8"`, `"550-5.1.1 The email account that you tried to reach does not exist"`.
    Explain {
        /// Codes or reply lines (quote lines with spaces).
        #[arg(value_name = "CODE", required = true)]
        codes: Vec<String>,
        /// Print one JSON object per argument instead of text.
        #[arg(short, long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
