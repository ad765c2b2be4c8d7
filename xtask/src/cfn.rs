//! A tiny ordered value tree for CloudFormation documents, rendered as block YAML (template.yaml)
//! or JSON (infra/manifest.json). Intrinsics use their long form (`Ref:`, `Fn::Sub:`), so the
//! YAML has no custom tags and any YAML parser reads it.

use std::fmt::Write as _;

/// A YAML/JSON value whose maps keep their insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<V>),
    Map(Vec<(String, V)>),
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::Str(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::Str(s)
    }
}
impl From<&String> for V {
    fn from(s: &String) -> Self {
        V::Str(s.clone())
    }
}
impl From<i64> for V {
    fn from(n: i64) -> Self {
        V::Int(n)
    }
}
impl From<u32> for V {
    fn from(n: u32) -> Self {
        V::Int(i64::from(n))
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        V::Bool(b)
    }
}
impl<T: Into<V>> From<Vec<T>> for V {
    fn from(items: Vec<T>) -> Self {
        V::List(items.into_iter().map(Into::into).collect())
    }
}

/// `map! { "Key" => value, ... }` builds an ordered [`V::Map`].
#[macro_export]
macro_rules! map {
    () => { $crate::cfn::V::Map(Vec::new()) };
    ($($k:expr => $v:expr),+ $(,)?) => {
        $crate::cfn::V::Map(vec![$((::std::string::String::from($k), $crate::cfn::V::from($v))),+])
    };
}

impl V {
    /// Appends an entry to a map (no-op on other values).
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<V>) {
        if let V::Map(entries) = self {
            entries.push((key.into(), value.into()));
        }
    }

    /// Appends entries when `cond` holds.
    pub fn with(mut self, cond: bool, key: &str, value: impl Into<V>) -> Self {
        if cond {
            self.push(key, value);
        }
        self
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as serde_json (maps sorted by key: JSON readers don't care about order).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            V::Str(s) => serde_json::Value::String(s.clone()),
            V::Int(n) => serde_json::Value::from(*n),
            V::Bool(b) => serde_json::Value::Bool(*b),
            V::List(items) => serde_json::Value::Array(items.iter().map(V::to_json).collect()),
            V::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Block-style YAML.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match self {
            V::Map(e) if !e.is_empty() => map_yaml(&mut out, e, 0),
            V::List(i) if !i.is_empty() => list_yaml(&mut out, i, 0),
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
        out
    }
}

/// `{ Ref: name }`
pub fn r(name: &str) -> V {
    map! { "Ref" => name }
}

/// `{ Fn::GetAtt: [name, attr] }`
pub fn ga(name: &str, attr: &str) -> V {
    map! { "Fn::GetAtt" => vec![name, attr] }
}

/// `{ Fn::Sub: text }`
pub fn sub(text: impl Into<String>) -> V {
    map! { "Fn::Sub" => text.into() }
}

/// `{ Fn::If: [cond, then, else] }`
pub fn if_(cond: &str, then: V, otherwise: V) -> V {
    map! { "Fn::If" => V::List(vec![cond.into(), then, otherwise]) }
}

/// `{ Ref: AWS::NoValue }`
pub fn no_value() -> V {
    r("AWS::NoValue")
}

fn is_collection_nonempty(v: &V) -> bool {
    matches!(v, V::Map(e) if !e.is_empty()) || matches!(v, V::List(i) if !i.is_empty())
}

fn map_yaml(out: &mut String, entries: &[(String, V)], indent: usize) {
    for (k, v) in entries {
        let _ = write!(out, "{:indent$}{}:", "", key(k));
        write_child(out, v, indent);
    }
}

fn list_yaml(out: &mut String, items: &[V], indent: usize) {
    for item in items {
        if is_collection_nonempty(item) {
            // Render the child one level deeper, then turn its first indent into "- ".
            let mut child = String::new();
            match item {
                V::Map(e) => map_yaml(&mut child, e, indent + 2),
                V::List(i) => list_yaml(&mut child, i, indent + 2),
                _ => {}
            }
            let _ = write!(out, "{:indent$}- {}", "", &child[indent + 2..]);
        } else {
            let _ = writeln!(out, "{:indent$}- {}", "", scalar(item));
        }
    }
}

fn write_child(out: &mut String, v: &V, indent: usize) {
    match v {
        V::Map(e) if !e.is_empty() => {
            out.push('\n');
            map_yaml(out, e, indent + 2);
        }
        V::List(i) if !i.is_empty() => {
            out.push('\n');
            list_yaml(out, i, indent + 2);
        }
        other => {
            let _ = writeln!(out, " {}", scalar(other));
        }
    }
}

fn key(k: &str) -> String {
    let plain = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'));
    if plain && !k.ends_with(':') { k.to_owned() } else { quote(k) }
}

fn scalar(v: &V) -> String {
    match v {
        V::Str(s) => {
            if plain_ok(s) {
                s.clone()
            } else {
                quote(s)
            }
        }
        V::Int(n) => n.to_string(),
        V::Bool(b) => b.to_string(),
        V::List(_) => "[]".into(),
        V::Map(_) => "{}".into(),
    }
}

/// Strings YAML reads back as the same string when unquoted.
fn plain_ok(s: &str) -> bool {
    const RESERVED: [&str; 12] = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", "", "-"];
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    let looks_numeric = s.parse::<f64>().is_ok() || first.is_ascii_digit() || first == '.' || first == '+';
    !looks_numeric
        && (first.is_ascii_alphabetic() || first == '/' || first == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$' | '{' | '}' | '@' | ':'))
        && !s.contains("{{")
        && !s.ends_with(':')
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_and_maps_render_as_block_yaml() {
        let v = map! {
            "A" => vec!["x", "true", "1.5"],
            "B" => V::List(vec![map! { "K" => "v", "L" => vec!["a"] }, map! {}]),
            "C" => map! { "Ref" => "Thing" },
            "D" => V::List(vec![]),
            "E" => "has: colon",
        };
        let want = "A:\n  - x\n  - \"true\"\n  - \"1.5\"\nB:\n  - K: v\n    L:\n      - a\n  - {}\nC:\n  Ref: Thing\nD: []\nE: \"has: colon\"\n";
        assert_eq!(v.to_yaml(), want);
    }
}
