use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
struct D(u32);
impl OutputDev for D {
    fn begin_page(&mut self, _: u32, _: &MediaBox, _: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> { Ok(()) }
    fn end_page(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn output_character(&mut self, trm: &Transform, width: f64, sp: f64, fs: f64, c: &str) -> Result<(), OutputError> {
        if self.0 < 4000 { println!("{c:?} x={:.2} y={:.2} w={width:.3} sp={sp:.2} fs={fs:.2} m11={:.2} m22={:.2}", trm.m31, trm.m32, trm.m11, trm.m22); }
        self.0 += 1; Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_word(&mut self) -> Result<(), OutputError> { Ok(()) }
    fn end_line(&mut self) -> Result<(), OutputError> { Ok(()) }
}
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let doc = lopdf::Document::load(&p).unwrap();
    pdf_extract::output_doc(&doc, &mut D(0)).unwrap();
}
