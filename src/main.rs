use clap::Parser;

fn main() {
    let cli = smtpscope::cli::Cli::parse();
    std::process::exit(smtpscope::run::run(cli));
}
