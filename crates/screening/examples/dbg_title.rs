fn main() {
    for p in std::env::args().skip(1) {
        let b = std::fs::read(&p).unwrap();
        let e = clearview_screening::extract::extract_text(&b, None).unwrap();
        println!("{p}: {:?}", e.title_line);
    }
}
