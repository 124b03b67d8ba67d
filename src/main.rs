use clap::Parser;

fn main() {
    smtpscope::allocator::configure();
    let cli = smtpscope::cli::Cli::parse();
    std::process::exit(smtpscope::run::run(cli));
}
