fn main() {
    let p = std::env::args().nth(1).unwrap();
    let doc = lopdf::Document::load(&p).unwrap();
    for (id, obj) in &doc.objects {
        if let Ok(d) = obj.as_dict() {
            if d.get(b"Type").ok().and_then(|o| o.as_name().ok()) == Some(b"Font") {
                let base = d.get(b"BaseFont").ok().and_then(|o| o.as_name().ok()).map(|b| String::from_utf8_lossy(b).to_string());
                let tu = d.get(b"ToUnicode").ok().and_then(|o| o.as_reference().ok());
                println!("{id:?} {base:?} sub={:?} tu={tu:?}", d.get(b"Subtype").ok().and_then(|o| o.as_name().ok()).map(|b| String::from_utf8_lossy(b).to_string()));
                if let Some(t) = tu {
                    if let Ok(lopdf::Object::Stream(s)) = doc.get_object(t) {
                        let c = s.decompressed_content().unwrap_or_else(|_| s.content.clone());
                        println!("{}", String::from_utf8_lossy(&c[..c.len().min(900)]));
                    }
                }
            }
        }
    }
}
