use clap::Parser;

fn main() {
    smtpscope::allocator::use_small_pages();
    let cli = smtpscope::cli::Cli::parse();
    std::process::exit(smtpscope::run::run(cli));
}
