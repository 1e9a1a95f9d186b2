//! Migration scripts as lists of normalised statements, so that the SQLite
//! and PostgreSQL copies can be compared: comments and layout dropped, words
//! lower-cased, and each dialect's spelling of a type or literal replaced by
//! one name for both ([`SPELLINGS`]). Strings, quoted identifiers and
//! dollar-quoted bodies are kept exactly as written.

use crate::Backend;

/// How each dialect writes the same thing, as whole words.
pub struct Spelling {
    pub sqlite: &'static str,
    pub postgres: &'static str,
    pub canonical: &'static str,
}

pub const SPELLINGS: &[Spelling] = &[
    Spelling { sqlite: "BLOB", postgres: "BYTEA", canonical: "bytes" },
    // The only generated key: SQLite's rowid alias is 64-bit, like BIGINT.
    Spelling {
        sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT",
        postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        canonical: "generated_key primary key",
    },
];

/// One statement: its number in the script (from 1) and its tokens.
#[derive(Clone, Debug)]
pub struct Statement {
    pub number: usize,
    pub tokens: Vec<String>,
}

impl Statement {
    /// The statement as one line of SQL, for messages.
    pub fn text(&self) -> String {
        render(&self.tokens)
    }

    pub fn starts_with(&self, prefix: &[String]) -> bool {
        self.tokens.starts_with(prefix)
    }
}

pub fn render(tokens: &[String]) -> String {
    tokens.join(" ").replace("( ", "(").replace(" )", ")").replace(" ,", ",")
}

/// The script's statements, normalised for `dialect`.
pub fn statements(script: &str, dialect: Backend) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    // `BEGIN … END` (and `CASE … END`) inside an SQLite trigger hold `;`.
    let mut depth = 0usize;
    for token in tokens(script) {
        let in_trigger = current.len() >= 2 && current[0] == "create" && current[1] == "trigger";
        match token.as_str() {
            ";" if depth == 0 => {
                if !current.is_empty() {
                    out.push(Statement { number: out.len() + 1, tokens: spell(&current, dialect) });
                }
                current.clear();
                continue;
            }
            "begin" | "case" if in_trigger => depth += 1,
            "end" if in_trigger => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push(token);
    }
    if !current.is_empty() {
        out.push(Statement { number: out.len() + 1, tokens: spell(&current, dialect) });
    }
    out
}

/// `text` as tokens spelled for `dialect`, to match against statements.
pub fn prefix(text: &str, dialect: Backend) -> Vec<String> {
    spell(&tokens(text), dialect)
}

/// Replaces `dialect`'s spellings with the canonical ones. Byte-string
/// literals are the one spelling that is not a fixed phrase: SQLite's
/// `X'00ff'` and PostgreSQL's `'\x00ff'::bytea` both become `bytes '00ff'`.
fn spell(tokens: &[String], dialect: Backend) -> Vec<String> {
    let phrases: Vec<(Vec<String>, Vec<String>)> = SPELLINGS
        .iter()
        .map(|s| {
            let from = match dialect {
                Backend::Sqlite => s.sqlite,
                Backend::Postgres => s.postgres,
            };
            (self::tokens(from), self::tokens(s.canonical))
        })
        .collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    'next: while i < tokens.len() {
        let rest = &tokens[i..];
        for (from, to) in &phrases {
            if rest.starts_with(from) {
                out.extend(to.iter().cloned());
                i += from.len();
                continue 'next;
            }
        }
        match (dialect, rest) {
            (Backend::Sqlite, [x, lit, ..]) if x == "x" && lit.starts_with('\'') => {
                out.extend(["bytes".to_owned(), lit.to_lowercase()]);
                i += 2;
            }
            (Backend::Postgres, [lit, cast, ty, ..]) if lit.starts_with("'\\x") && cast == "::" && ty == "bytea" => {
                out.extend(["bytes".to_owned(), format!("'{}", lit[3..].to_lowercase())]);
                i += 3;
            }
            _ => {
                out.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// Words (lower-cased), literals and quoted names (as written), and
/// punctuation; comments and whitespace dropped.
fn tokens(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' {
            // A doubled quote is the quote itself.
            i += 1;
            while i < chars.len() && !(chars[i] == c && chars.get(i + 1) != Some(&c)) {
                i += if chars[i] == c { 2 } else { 1 };
            }
            i += 1;
            out.push(chars[start..i.min(chars.len())].iter().collect());
        } else if c == '$' && next.is_some_and(|n| n == '$' || n.is_alphabetic() || n == '_') {
            // A dollar-quoted body, `$tag$ … $tag$`, as one token.
            let tag_len = chars[i + 1..].iter().position(|&d| d == '$').map_or(chars.len() - i, |p| p + 2);
            let tag = &chars[i..(i + tag_len).min(chars.len())];
            let body_start = i + tag_len;
            i = (body_start..chars.len()).find(|&j| chars[j..].starts_with(tag)).map_or(chars.len(), |j| j + tag.len());
            out.push(chars[start..i].iter().collect());
        } else if c.is_alphanumeric() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect::<String>().to_lowercase());
        } else {
            let pair: String = [c, next.unwrap_or(' ')].iter().collect();
            i += if ["::", "<>", "<=", ">=", "!=", "||"].contains(&pair.as_str()) { 2 } else { 1 };
            out.push(chars[start..i].iter().collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, dialect: Backend) -> Vec<String> {
        statements(sql, dialect).iter().map(Statement::text).collect()
    }

    #[test]
    fn comments_layout_and_case_do_not_count_but_literals_do() {
        let a = "-- a comment\nCREATE TABLE t (\n    id BLOB PRIMARY KEY, -- why\n    s TEXT DEFAULT 'A;b'\n);";
        let b = "create table t (id bytea primary key, /* note */ s text default 'A;b');";
        assert_eq!(texts(a, Backend::Sqlite), texts(b, Backend::Postgres));
        assert_eq!(texts(a, Backend::Sqlite), ["create table t (id bytes primary key, s text default 'A;b')"]);
        assert_ne!(texts(a, Backend::Sqlite), texts(&b.replace("'A;b'", "'a;b'"), Backend::Postgres));
    }

    #[test]
    fn spellings_apply_only_to_their_own_dialect_and_only_to_whole_words() {
        // BYTEA in an SQLite script is a mistake (it has numeric affinity there).
        assert_ne!(
            texts("CREATE TABLE t (id BYTEA)", Backend::Sqlite),
            texts("CREATE TABLE t (id BYTEA)", Backend::Postgres)
        );
        assert_eq!(texts("CREATE TABLE blobs (x BLOB)", Backend::Sqlite), ["create table blobs (x bytes)"]);
        assert_eq!(
            texts("INSERT INTO h VALUES (X'00FF')", Backend::Sqlite),
            texts("INSERT INTO h VALUES ('\\x00ff'::bytea)", Backend::Postgres)
        );
        assert_eq!(
            texts("CREATE TABLE e (seq INTEGER PRIMARY KEY AUTOINCREMENT)", Backend::Sqlite),
            texts("CREATE TABLE e (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY)", Backend::Postgres)
        );
    }

    #[test]
    fn trigger_bodies_and_dollar_quotes_stay_in_their_statement() {
        let sqlite = "CREATE TRIGGER t BEFORE UPDATE ON a\nBEGIN SELECT RAISE(ABORT, 'no'); END;\nSELECT 1;";
        assert_eq!(texts(sqlite, Backend::Sqlite).len(), 2);
        let pg = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n RAISE EXCEPTION 'x';\nEND;\n$$;\nSELECT 1;";
        let parsed = statements(pg, Backend::Postgres);
        assert_eq!(parsed.len(), 2);
        assert!(parsed[0].tokens.last().is_some_and(|t| t.starts_with("$$") && t.ends_with("$$")));
        assert_eq!(parsed[1].number, 2);
    }
}
