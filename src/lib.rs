//! smtpscope: reads SMTP logs of many formats into one session model and shows them as
//! explained conversations (interactive viewer, `--list`, `--json`).

#[cfg(test)]
mod accounting_tests;

pub mod allocator;
pub mod assemble;
pub mod cli;
pub mod explain;
pub mod fasthash;
pub mod feed;
pub mod filter;
pub mod formats;
pub mod live;
pub mod load;
pub mod model;
pub mod output;
pub mod reread;
pub mod run;
pub mod sanitize;
pub mod source;
#[cfg(test)]
mod testdata;
pub mod threads;
pub mod tui;
pub mod wrapper;
