//! Prints how many Lambda functions the stack declares (one per route and per consumer), or
//! with `--names` their names, one a line.

fn main() {
    let names = xtask::functions::names();
    if std::env::args().any(|a| a == "--names") {
        for n in names {
            println!("{n}");
        }
    } else {
        println!("{}", names.len());
    }
}
