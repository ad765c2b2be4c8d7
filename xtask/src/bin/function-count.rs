//! Prints how many Lambda functions the stack declares (one per route and per consumer).

fn main() {
    println!("{}", xtask::functions::names().len());
}
