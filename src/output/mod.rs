//! Non-interactive outputs: the `--list` table and `--json` lines. Both stream one session at
//! a time and never write raw log text to a terminal.

pub mod json;
pub mod list;
pub mod merge;
