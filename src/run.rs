//! Picks a mode from the command line and runs it; returns the process exit code.

use crate::cli::Cli;
use crate::filter::Filter;
use crate::formats;
use crate::load::{self, LoadOptions};
use crate::output;
use crate::sanitize::escape_controls;
use crate::source::{self, Input};
use std::io::{self, IsTerminal, Write};

/// Exit code when no input could be read.
pub const EXIT_NO_INPUT: i32 = 1;
/// Exit code for usage errors (clap uses the same).
pub const EXIT_USAGE: i32 = 2;

pub fn run(cli: Cli) -> i32 {
    if let Some(crate::cli::Command::Explain { codes, json }) = &cli.command {
        return crate::explain::lookup::run_cli(codes, *json);
    }
    if cli
        .files
        .first()
        .is_some_and(|f| f.as_os_str() == "explain" && !f.exists())
    {
        eprintln!("smtpscope: options go after the subcommand: smtpscope explain [--json] CODE...");
        return EXIT_USAGE;
    }
    if cli.formats {
        print_formats();
        return 0;
    }
    let format = match cli.format.as_deref() {
        Some(name) => match formats::by_name(name) {
            Some(f) => Some(f),
            None => {
                eprintln!(
                    "smtpscope: unknown format '{}'; run `smtpscope --formats` for the list",
                    escape_controls(name)
                );
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let filter = match Filter::from_options(cli.filter.as_deref(), cli.since.as_deref(), cli.until.as_deref())
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "smtpscope: --filter/--since/--until: {}",
                escape_controls(&e.to_string())
            );
            return EXIT_USAGE;
        }
    };
    if cli.follow {
        // Live tail (`-f`): its own mode (list, JSON or the viewer), see src/live.rs.
        return crate::live::run(
            &cli,
            LoadOptions {
                format,
                year: cli.year,
            },
            filter,
        );
    }
    let (inputs, problems) = if cli.files.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!("smtpscope: no input; give log files or directories, or pipe a log into `smtpscope -`. Try --help.");
            return EXIT_USAGE;
        }
        (vec![Input::Stdin], Vec::new())
    } else {
        source::expand(&cli.files)
    };
    for p in &problems {
        eprintln!("smtpscope: {}", escape_controls(p));
    }
    let opts = LoadOptions {
        format,
        year: cli.year,
    };
    if inputs.is_empty() {
        return EXIT_NO_INPUT;
    }
    if !cli.list && !cli.json && io::stdout().is_terminal() {
        let viewer = crate::tui::options_from_cli(&cli, &inputs);
        return crate::tui::run(inputs, opts, viewer, filter);
    }
    if let [input] = &inputs[..] {
        return stream(input, &opts, &cli, filter.as_ref());
    }
    merge(&inputs, &opts, &cli, filter.as_ref())
}

/// `--list`/`--json` of several inputs: each is streamed in turn and its sessions' lines kept
/// compactly (see [`output::merge`]), then printed merged by start time.
fn merge(inputs: &[Input], opts: &LoadOptions, cli: &crate::cli::Cli, filter: Option<&Filter>) -> i32 {
    let mut held = output::merge::HeldLines::default();
    let mut tally = output::list::Tally::default();
    let (mut unparsed, mut read_any) = (0, false);
    for input in inputs {
        let mut sink = |batch: Vec<crate::model::Session>| -> io::Result<()> {
            for s in &batch {
                held.saw(s.start.is_some_and(|t| t.has_date));
                if filter.is_some_and(|f| !f.matches(s)) {
                    continue;
                }
                tally.add(s.status());
                let line = match cli.json {
                    true => output::json::session_json(s, cli.reveal_secrets),
                    false => output::list::session_line(s),
                };
                held.push(s.start.map(|t| t.when), line.as_bytes());
            }
            Ok(())
        };
        match load::stream_input(input, opts, &mut sink) {
            Ok(report) => {
                if report.lines == 0 {
                    eprintln!(
                        "smtpscope: {}: empty file (nothing to read)",
                        escape_controls(&report.name)
                    );
                }
                unparsed += report.unparsed_count;
                read_any = true;
            }
            Err(load::StreamError::Load(e)) => eprintln!("smtpscope: {}", escape_controls(&e.to_string())),
            Err(load::StreamError::Write(e)) => {
                eprintln!("smtpscope: keeping output: {e}");
                return EXIT_NO_INPUT;
            }
        }
    }
    if !read_any {
        return EXIT_NO_INPUT;
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let footer = tally.footer(unparsed);
    let written = held.write_to(&mut out).and_then(|()| {
        if cli.json {
            eprintln!("smtpscope: {footer}");
            Ok(())
        } else {
            writeln!(out, "{footer}")
        }
    });
    match written.and_then(|()| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`| head`) is a normal way to stop reading.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("smtpscope: writing output: {e}");
            EXIT_NO_INPUT
        }
    }
}

/// `--list`/`--json` of one input: sessions are printed as they become final, so the first
/// lines of a big log appear at once and memory holds only the sessions still in progress.
/// (Several inputs are merged by start time: see [`merge`].)
fn stream(input: &Input, opts: &LoadOptions, cli: &crate::cli::Cli, filter: Option<&Filter>) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut tally = output::list::Tally::default();
    let mut sink = |batch: Vec<crate::model::Session>| -> io::Result<()> {
        let shown: Vec<&crate::model::Session> = batch
            .iter()
            .filter(|s| filter.is_none_or(|f| f.matches(s)))
            .collect();
        for s in &shown {
            tally.add(s.status());
        }
        if cli.json {
            output::json::write_streamed(&mut out, &shown, cli.reveal_secrets)
        } else {
            for s in &shown {
                writeln!(out, "{}", output::list::session_line(s))?;
            }
            Ok(())
        }
    };
    let result = load::stream_input(input, opts, &mut sink);
    let written = match result {
        Ok(report) => {
            if report.lines == 0 {
                eprintln!(
                    "smtpscope: {}: empty file (nothing to read)",
                    escape_controls(&report.name)
                );
            }
            let footer = tally.footer(report.unparsed_count);
            if cli.json {
                eprintln!("smtpscope: {footer}");
                Ok(())
            } else {
                writeln!(out, "{footer}")
            }
        }
        Err(load::StreamError::Load(e)) => {
            let _ = out.flush();
            eprintln!("smtpscope: {}", escape_controls(&e.to_string()));
            return EXIT_NO_INPUT;
        }
        Err(load::StreamError::Write(e)) => Err(e),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`| head`) is a normal way to stop reading.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("smtpscope: writing output: {e}");
            EXIT_NO_INPUT
        }
    }
}

fn print_formats() {
    println!("Formats smtpscope reads (detected automatically; force one with --format NAME):\n");
    for f in formats::all() {
        println!("  {:<22} {}", f.name(), f.description());
        println!("  {:<22} turn it on: {}\n", "", f.how_to_enable());
    }
}
