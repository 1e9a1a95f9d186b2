//! A plain PDF (1.4) of lines of text: Helvetica and Helvetica-Bold
//! (standard fonts every reader has, so nothing is embedded), US Letter,
//! lines wrapped to the page, a footer with the page number. Text is
//! WinAnsi-encoded: characters outside it print as `?` (the FHIR Bundle in
//! the same archive carries the exact text).

/// One line's style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Title,
    Heading,
    Bold,
    Body,
    Small,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 16.0,
            Style::Heading => 12.5,
            Style::Bold | Style::Body => 10.0,
            Style::Small => 8.5,
        }
    }
    fn font(self) -> &'static str {
        match self {
            Style::Title | Style::Heading | Style::Bold => "F2",
            Style::Body | Style::Small => "F1",
        }
    }
    /// Space above the line.
    fn before(self) -> f32 {
        match self {
            Style::Title => 0.0,
            Style::Heading => 12.0,
            Style::Bold => 6.0,
            Style::Body | Style::Small => 0.0,
        }
    }
}

const WIDTH: f32 = 612.0;
const HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FOOTER: f32 = 36.0;

/// A document being laid out.
#[derive(Default)]
pub(crate) struct Doc {
    lines: Vec<(Style, String)>,
    footer: String,
}

/// The WinAnsi byte for a character, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    let u = c as u32;
    match u {
        0x20..=0x7e | 0xa0..=0xff => u8::try_from(u).ok(),
        0x2013 => Some(0x96),
        0x2014 => Some(0x97),
        0x2018 => Some(0x91),
        0x2019 => Some(0x92),
        0x201c => Some(0x93),
        0x201d => Some(0x94),
        0x2022 => Some(0x95),
        0x2026 => Some(0x85),
        0x20ac => Some(0x80),
        _ => None,
    }
}

/// Helvetica's average advance is about half an em; wrapping a little
/// short of that keeps every line inside the margin.
fn chars_per_line(style: Style) -> usize {
    let usable = WIDTH - 2.0 * MARGIN;
    let per = if style.font() == "F2" { 0.60 } else { 0.55 };
    ((usable / (style.size() * per)) as usize).max(20)
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                out.push(head);
            }
            if line.chars().count() + word.chars().count() + usize::from(!line.is_empty()) > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push(line);
    }
    out
}

impl Doc {
    pub(crate) fn new(footer: impl Into<String>) -> Self {
        Doc { lines: Vec::new(), footer: footer.into() }
    }

    /// Adds text, wrapped; line breaks in it are kept.
    pub(crate) fn add(&mut self, style: Style, text: &str) {
        let mut first = true;
        for l in wrap(text.trim_end(), chars_per_line(style)) {
            let s = if first { style } else { Style::Body.max_with(style) };
            self.lines.push((s, l));
            first = false;
        }
    }

    pub(crate) fn gap(&mut self) {
        self.lines.push((Style::Small, String::new()));
    }

    /// The finished PDF.
    pub(crate) fn render(&self) -> Vec<u8> {
        // Lay the lines out on pages.
        let mut pages: Vec<Vec<(Style, f32, &str)>> = vec![Vec::new()];
        let mut y = HEIGHT - MARGIN;
        for (style, text) in &self.lines {
            let step = style.before() + style.size() * 1.3;
            if y - step < MARGIN + FOOTER {
                pages.push(Vec::new());
                y = HEIGHT - MARGIN;
            }
            y -= step;
            if let Some(p) = pages.last_mut() {
                p.push((*style, y, text.as_str()));
            }
        }
        let n = pages.len();
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets: Vec<usize> = Vec::new();
        let mut object = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        // 1 catalog, 2 pages, 3 and 4 fonts, then each page and its content.
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
        object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        object(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).as_bytes());
        object(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
        object(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
        for (i, page) in pages.iter().enumerate() {
            let mut content: Vec<u8> = Vec::new();
            let line = |content: &mut Vec<u8>, font: &str, size: f32, x: f32, y: f32, text: &str| {
                content.extend_from_slice(format!("BT /{font} {size} Tf {x:.1} {y:.1} Td (").as_bytes());
                for c in text.chars() {
                    match win_ansi(c) {
                        Some(b'(') => content.extend_from_slice(b"\\("),
                        Some(b')') => content.extend_from_slice(b"\\)"),
                        Some(b'\\') => content.extend_from_slice(b"\\\\"),
                        Some(b) if b.is_ascii() => content.push(b),
                        Some(b) => content.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                        None => content.push(b'?'),
                    }
                }
                content.extend_from_slice(b") Tj ET\n");
            };
            for (style, y, text) in page {
                if !text.is_empty() {
                    line(&mut content, style.font(), style.size(), MARGIN, *y, text);
                }
            }
            let foot = format!("{} · Page {} of {n}", self.footer, i + 1);
            line(&mut content, "F1", 8.0, MARGIN, MARGIN - 18.0, &foot);
            object(
                &mut out,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    6 + 2 * i
                )
                .as_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(&content);
            stream.extend_from_slice(b"\nendstream");
            object(&mut out, &stream);
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
        for o in &offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1).as_bytes(),
        );
        out
    }
}

impl Style {
    /// A wrapped continuation keeps the weight of small text, else is body.
    fn max_with(self, first: Style) -> Style {
        if first == Style::Small { Style::Small } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_document_has_its_objects_and_an_exact_xref() {
        let mut d = Doc::new("Test");
        d.add(Style::Title, "Messages (with parentheses) and a back\\slash");
        for i in 0..200 {
            d.add(Style::Body, &format!("line {i}: café – “quoted” 漢字"));
        }
        let pdf = d.render();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.contains("/Count 4") || text.contains("/Count 5"), "several pages");
        assert!(text.contains("\\(with parentheses\\)") && text.contains("back\\\\slash"));
        assert!(text.contains("caf\\351 \\226 \\223quoted\\224 ??"));
        // Every xref offset points at its object.
        let xref_at: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let table = &text[xref_at..];
        for (n, line) in table.lines().skip(3).take_while(|l| l.ends_with(" n ")).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(text[off..].starts_with(&format!("{} 0 obj", n + 1)), "object {}", n + 1);
        }
    }

    proptest! {
        #[test]
        fn wrapping_keeps_every_word_and_the_width(words in prop::collection::vec("[a-z]{1,30}", 0..60), width in 20usize..100) {
            let text = words.join(" ");
            let lines = wrap(&text, width);
            prop_assert!(lines.iter().all(|l| l.chars().count() <= width));
            let back: Vec<String> = lines.join(" ").split_whitespace().map(str::to_owned).collect();
            let joined: String = back.concat();
            prop_assert_eq!(joined, words.concat());
        }
    }
}
