//! Writes a large realistic log for benchmarks:
//! `cargo run --release --example gen -- postfix 1024 > big.log` (1 GiB).
//! Formats: postfix, exchange-receive, phpmailer. The session count and status totals it wrote
//! go to stderr as JSON, and to `--expected FILE` when given (the benchmark reads that file).

#[path = "common/loggen/mod.rs"]
mod loggen;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut seed = 1u64;
    let mut expected = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = it.next().and_then(|s| s.parse().ok()).unwrap_or(1),
            "--expected" => expected = it.next().cloned(),
            _ => pos.push(a.clone()),
        }
    }
    let (Some(format), Some(mib)) = (pos.first(), pos.get(1).and_then(|m| m.parse::<u64>().ok())) else {
        eprintln!(
            "usage: gen FORMAT MIB [--seed N] [--expected FILE] > out.log\n  FORMAT: {}",
            loggen::FORMATS.join(", ")
        );
        std::process::exit(2);
    };
    let stdout = std::io::stdout();
    match loggen::generate(format, mib, seed, stdout.lock()) {
        Ok(exp) => {
            eprintln!("{}", exp.to_json());
            if let Some(path) = expected {
                let mut f = std::fs::File::create(&path).expect("creating the --expected file");
                writeln!(f, "{}", exp.to_json()).expect("writing the --expected file");
            }
        }
        Err(e) => {
            eprintln!("gen: {e}");
            std::process::exit(1);
        }
    }
}
