#!/bin/sh
# Regenerates the eval files that were produced here rather than copied (see ../manifest.json,
# "generated"). Needs Debian's libreoffice-writer and python3-docx, and PyPI's typst.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
files="$here/../files"
tmp=$(mktemp -d)
/usr/bin/python3 "$here/gen_jsonresume.py" "$tmp"
cp "$tmp/pythondocx_jsonresume.docx" "$files/"
soffice --headless --convert-to pdf:writer_pdf_Export --outdir "$tmp" "$tmp/jsonresume_a.html" >/dev/null
cp "$tmp/jsonresume_a.pdf" "$files/libreoffice_jsonresume.pdf"
soffice --headless --convert-to 'docx:MS Word 2007 XML' --outdir "$tmp" "$tmp/jsonresume_b.html" >/dev/null
cp "$tmp/jsonresume_b.docx" "$files/libreoffice_jsonresume.docx"
rm -rf "$tmp"
# HTML-to-PDF (Qt WebKit) and a pandoc-written DOCX of the same public sample.
tmp=$(mktemp -d)
/usr/bin/python3 "$here/gen_jsonresume.py" "$tmp"
wkhtmltopdf -q "$tmp/jsonresume_b.html" "$files/wkhtmltopdf_jsonresume.pdf" || true
pandoc -f html -t docx -o "$files/pandoc_jsonresume.docx" "$tmp/jsonresume_a.html"
rm -rf "$tmp"
# Typst: RenderCV 2.8's sample CV (`rendercv new "Jane Smith" --theme T`, MIT), its .typ kept in
# rendercv/ with the Typst Universe fontawesome import replaced by an empty stub (no network here),
# compiled with PyPI's typst and the rendercv-fonts package.
fonts=$(python3 -c "import rendercv_fonts, os; print(os.path.dirname(rendercv_fonts.__file__))")
for t in classic engineeringresumes sb2nov moderncv engineeringclassic; do
  python3 -c "import typst, sys; typst.compile(sys.argv[1], output=sys.argv[2], font_paths=[sys.argv[3]])" \
    "$here/rendercv/$t.typ" "$files/typst_rendercv_$t.pdf" "$fonts"
done
