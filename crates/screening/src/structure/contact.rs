//! The contact block: name, email, phone, links, location and street address.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::experience::TITLE_WORDS;
use super::sections::heading;
use crate::text;

/// A coarse place: what the location criterion may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub city: Option<String>,
    /// State, province or region code/name.
    pub region: Option<String>,
    pub country: Option<String>,
    pub remote: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub links: Vec<String>,
    pub location: Option<Location>,
    /// A street address line, if the resume gave one (removed by anonymization).
    pub street_address: Option<String>,
}

pub(super) const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
];

const US_STATE_NAMES: &[(&str, &str)] = &[
    ("Alabama", "AL"),
    ("Alaska", "AK"),
    ("Arizona", "AZ"),
    ("Arkansas", "AR"),
    ("California", "CA"),
    ("Colorado", "CO"),
    ("Connecticut", "CT"),
    ("Delaware", "DE"),
    ("Florida", "FL"),
    ("Georgia", "GA"),
    ("Hawaii", "HI"),
    ("Idaho", "ID"),
    ("Illinois", "IL"),
    ("Indiana", "IN"),
    ("Iowa", "IA"),
    ("Kansas", "KS"),
    ("Kentucky", "KY"),
    ("Louisiana", "LA"),
    ("Maine", "ME"),
    ("Maryland", "MD"),
    ("Massachusetts", "MA"),
    ("Michigan", "MI"),
    ("Minnesota", "MN"),
    ("Mississippi", "MS"),
    ("Missouri", "MO"),
    ("Montana", "MT"),
    ("Nebraska", "NE"),
    ("Nevada", "NV"),
    ("New Hampshire", "NH"),
    ("New Jersey", "NJ"),
    ("New Mexico", "NM"),
    ("New York", "NY"),
    ("North Carolina", "NC"),
    ("North Dakota", "ND"),
    ("Ohio", "OH"),
    ("Oklahoma", "OK"),
    ("Oregon", "OR"),
    ("Pennsylvania", "PA"),
    ("Rhode Island", "RI"),
    ("South Carolina", "SC"),
    ("South Dakota", "SD"),
    ("Tennessee", "TN"),
    ("Texas", "TX"),
    ("Utah", "UT"),
    ("Vermont", "VT"),
    ("Virginia", "VA"),
    ("Washington", "WA"),
    ("West Virginia", "WV"),
    ("Wisconsin", "WI"),
    ("Wyoming", "WY"),
];

pub(super) const COUNTRIES: &[&str] = &[
    "South Korea",
    "Republic of Korea",
    "Korea",
    "Vietnam",
    "Pakistan",
    "Bangladesh",
    "Sri Lanka",
    "Indonesia",
    "Philippines",
    "Malaysia",
    "Thailand",
    "Taiwan",
    "Hong Kong",
    "Türkiye",
    "Greece",
    "Czech Republic",
    "Hungary",
    "Chile",
    "Colombia",
    "Peru",
    "Ghana",
    "Morocco",
    "United Arab Emirates",
    "UAE",
    "Saudi Arabia",
    "Iran",
    "USA",
    "United States",
    "Canada",
    "United Kingdom",
    "UK",
    "Ireland",
    "Germany",
    "France",
    "Spain",
    "Portugal",
    "Italy",
    "Netherlands",
    "Belgium",
    "Sweden",
    "Norway",
    "Denmark",
    "Finland",
    "Poland",
    "Switzerland",
    "Austria",
    "India",
    "China",
    "Japan",
    "Singapore",
    "Australia",
    "New Zealand",
    "Brazil",
    "Mexico",
    "Argentina",
    "Nigeria",
    "Kenya",
    "South Africa",
    "Egypt",
    "Israel",
    "Turkey",
    "Ukraine",
    "Romania",
];

/// Large cities, for a city named alone ("New York" under a street line) or between a
/// district and a country ("Mapo-gu, Seoul, South Korea").
const CITIES: &[&str] = &[
    "New York",
    "New York City",
    "Los Angeles",
    "Chicago",
    "Houston",
    "Phoenix",
    "Philadelphia",
    "San Antonio",
    "San Diego",
    "Dallas",
    "San Jose",
    "Austin",
    "Jacksonville",
    "San Francisco",
    "Columbus",
    "Fort Worth",
    "Indianapolis",
    "Charlotte",
    "Seattle",
    "Denver",
    "Washington",
    "Boston",
    "El Paso",
    "Nashville",
    "Detroit",
    "Oklahoma City",
    "Portland",
    "Las Vegas",
    "Memphis",
    "Louisville",
    "Baltimore",
    "Milwaukee",
    "Albuquerque",
    "Tucson",
    "Fresno",
    "Sacramento",
    "Kansas City",
    "Atlanta",
    "Miami",
    "Raleigh",
    "Omaha",
    "Minneapolis",
    "Tulsa",
    "Cleveland",
    "Oakland",
    "Tampa",
    "New Orleans",
    "Pittsburgh",
    "Cincinnati",
    "St. Louis",
    "Salt Lake City",
    "Palo Alto",
    "Mountain View",
    "Sunnyvale",
    "Menlo Park",
    "Cupertino",
    "Redmond",
    "Berkeley",
    "Cambridge",
    "Brooklyn",
    "Toronto",
    "Montreal",
    "Vancouver",
    "Ottawa",
    "Calgary",
    "Mexico City",
    "São Paulo",
    "Sao Paulo",
    "Rio de Janeiro",
    "Buenos Aires",
    "Bogotá",
    "Bogota",
    "Lima",
    "Santiago",
    "London",
    "Manchester",
    "Edinburgh",
    "Dublin",
    "Paris",
    "Lyon",
    "Berlin",
    "Munich",
    "Hamburg",
    "Frankfurt",
    "Cologne",
    "Vienna",
    "Zurich",
    "Zürich",
    "Geneva",
    "Amsterdam",
    "Rotterdam",
    "Brussels",
    "Copenhagen",
    "Stockholm",
    "Oslo",
    "Helsinki",
    "Madrid",
    "Barcelona",
    "Lisbon",
    "Porto",
    "Rome",
    "Milan",
    "Athens",
    "Warsaw",
    "Krakow",
    "Prague",
    "Budapest",
    "Bucharest",
    "Kyiv",
    "Kiev",
    "Istanbul",
    "Ankara",
    "Moscow",
    "Tel Aviv",
    "Jerusalem",
    "Dubai",
    "Abu Dhabi",
    "Riyadh",
    "Doha",
    "Cairo",
    "Lagos",
    "Nairobi",
    "Accra",
    "Johannesburg",
    "Cape Town",
    "Casablanca",
    "Mumbai",
    "Delhi",
    "New Delhi",
    "Bangalore",
    "Bengaluru",
    "Hyderabad",
    "Chennai",
    "Kolkata",
    "Pune",
    "Ahmedabad",
    "Karachi",
    "Lahore",
    "Islamabad",
    "Dhaka",
    "Colombo",
    "Kathmandu",
    "Beijing",
    "Shanghai",
    "Shenzhen",
    "Guangzhou",
    "Hangzhou",
    "Hong Kong",
    "Taipei",
    "Seoul",
    "Busan",
    "Tokyo",
    "Osaka",
    "Kyoto",
    "Singapore",
    "Kuala Lumpur",
    "Bangkok",
    "Jakarta",
    "Manila",
    "Hanoi",
    "Ho Chi Minh City",
    "Sydney",
    "Melbourne",
    "Brisbane",
    "Perth",
    "Auckland",
    "Wellington",
];

/// The city as the gazetteer spells it, if the piece is one of [`CITIES`].
pub(super) fn known_city(piece: &str) -> Option<&'static str> {
    let p = piece.trim().trim_end_matches(['.', ',', ';']).trim();
    CITIES.iter().find(|c| c.eq_ignore_ascii_case(p)).copied()
}

const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "st.",
    "avenue",
    "ave",
    "ave.",
    "road",
    "rd",
    "rd.",
    "boulevard",
    "blvd",
    "blvd.",
    "lane",
    "ln",
    "ln.",
    "drive",
    "dr",
    "dr.",
    "court",
    "ct",
    "way",
    "place",
    "pl",
    "terrace",
    "apt",
    "apt.",
    "suite",
    "unit",
];

/// Pieces of a header line: "Jane Doe | jane@x.com | Austin, TX".
fn header_pieces(line: &str) -> Vec<&str> {
    line.split(['|', '•', '·', '\t', '●', '♦', '◆', ';'])
        .flat_map(|p| p.split("  "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// "Austin, TX", "Austin, TX 78701", "Berlin, Germany", "Remote".
pub(crate) fn parse_location(piece: &str) -> Option<Location> {
    let p = piece.trim().trim_start_matches("Location:").trim_start_matches("Based in").trim();
    let lower = p.to_ascii_lowercase();
    if lower == "remote" || lower.starts_with("remote (") || lower.starts_with("remote,") {
        return Some(Location { remote: true, ..Location::default() });
    }
    let parts: Vec<&str> = p.split(',').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let city = parts[0];
    if city.is_empty()
        || city.split_whitespace().count() > 3
        || !city.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '-' || c == '\'')
        || !city.starts_with(char::is_uppercase)
    {
        return None;
    }
    let second = parts[1];
    let region_token = second.split_whitespace().next().unwrap_or("");
    // "San Francisco, California": a state written out.
    if let Some(abbr) = US_STATE_NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(second)).map(|(_, a)| *a) {
        return Some(Location {
            city: Some(city.to_owned()),
            region: Some(abbr.to_owned()),
            country: Some(parts.get(2).map(|c| (*c).to_owned()).unwrap_or_else(|| "USA".to_owned())),
            remote: false,
        });
    }
    let zip_ok = second.split_whitespace().nth(1).is_none_or(|z| z.len() == 5 && z.bytes().all(|b| b.is_ascii_digit()));
    if US_STATES.contains(&region_token) && zip_ok {
        return Some(Location {
            city: Some(city.to_owned()),
            region: Some(region_token.to_owned()),
            country: Some(parts.get(2).map(|c| (*c).to_owned()).unwrap_or_else(|| "USA".to_owned())),
            remote: false,
        });
    }
    if let Some(country) = COUNTRIES.iter().find(|c| c.eq_ignore_ascii_case(parts[parts.len() - 1])) {
        // "Mapo-gu, Seoul, South Korea": a district before a city we know.
        if parts.len() == 3
            && known_city(city).is_none()
            && let Some(known) = known_city(parts[1])
        {
            return Some(Location {
                city: Some(known.to_owned()),
                region: None,
                country: Some((*country).to_owned()),
                remote: false,
            });
        }
        let region = (parts.len() == 3).then(|| parts[1].to_owned());
        return Some(Location {
            city: Some(city.to_owned()),
            region,
            country: Some((*country).to_owned()),
            remote: false,
        });
    }
    None
}

fn is_street_address(piece: &str) -> bool {
    let words: Vec<&str> = piece.split_whitespace().collect();
    words.len() >= 3
        && words[0].chars().next().is_some_and(|c| c.is_ascii_digit())
        && words.iter().any(|w| STREET_WORDS.contains(&w.trim_end_matches(',').to_ascii_lowercase().as_str()))
}

fn looks_like_name(piece: &str) -> bool {
    let words: Vec<&str> = piece.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.' || c == '’')
                && w.starts_with(char::is_uppercase)
        })
        && heading(piece).is_none()
        && !words.iter().any(|w| {
            let w = w.to_lowercase();
            matches!(w.trim_end_matches('.'), "resume" | "resumé" | "résumé" | "cv" | "curriculum" | "vitae")
        })
        && !TITLE_WORDS.iter().any(|t| piece.to_ascii_lowercase().split_whitespace().any(|w| w == *t))
}

/// The person's name from a PDF's title line (its largest text at the top), if it reads as one.
pub(super) fn name_from_title_line(line: &str) -> Option<String> {
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let bare = strip_honorific(line.trim_matches(|c: char| !c.is_alphabetic()));
    if looks_like_name(bare) {
        return Some(title_case(bare));
    }
    // "John Doe  Resumé title": the name is the first words.
    let words: Vec<&str> = bare.split(' ').collect();
    (2..words.len().min(4)).rev().map(|n| words[..n].join(" ")).find(|p| looks_like_name(p)).map(|p| title_case(&p))
}

/// "Ms. Jane Doe" → "Jane Doe": honorifics are not part of the name (and are gendered).
pub(crate) fn strip_honorific(s: &str) -> &str {
    const HONORIFICS: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "sir", "madam", "mister"];
    match s.split_once(' ') {
        Some((first, rest)) if HONORIFICS.contains(&first.trim_end_matches('.').to_ascii_lowercase().as_str()) => {
            rest.trim()
        }
        _ => s,
    }
}

fn title_case(s: &str) -> String {
    if s.chars().any(char::is_lowercase) {
        return s.to_owned();
    }
    s.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs.flat_map(char::to_lowercase)).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn parse_header(lines: &[&str], contact: &mut Contact) {
    // A line that stops on a comma ("2712 Broadway St, San Francisco," / "California | ...")
    // goes on on the next line.
    let mut joined: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        match joined.last_mut() {
            Some(prev) if prev.trim_end().ends_with(',') => {
                prev.push(' ');
                prev.push_str(line.trim());
            }
            _ => joined.push((*line).to_owned()),
        }
    }
    let mut after_street: Option<String> = None;
    for (i, line) in joined.iter().enumerate() {
        let line = line.trim_start_matches("Name:").trim_start_matches("NAME:").trim();
        for (j, piece) in header_pieces(line).into_iter().enumerate() {
            let follows_street = after_street.take();
            if contact.name.is_none() && i < 3 && j == 0 {
                let bare = strip_honorific(piece);
                if looks_like_name(bare) {
                    contact.name = Some(title_case(bare));
                    continue;
                }
            }
            if is_street_address(piece) {
                contact.street_address = Some(piece.to_owned());
                after_street = Some(piece.to_owned());
                // "12 Main St, Springfield, IL 62704": the tail is the city.
                if let Some((_, tail)) = piece.split_once(',')
                    && let Some(loc) = parse_location(tail)
                {
                    contact.location.get_or_insert(loc);
                }
                continue;
            }
            // "2712 Broadway St, San Francisco, California" without a street word we know.
            if piece.starts_with(|c: char| c.is_ascii_digit())
                && let Some((street, tail)) = piece.split_once(',')
                && street.split_whitespace().count() >= 2
                && let Some(loc) = parse_location(tail)
            {
                contact.street_address = Some(piece.to_owned());
                contact.location.get_or_insert(loc);
                continue;
            }
            // "1234 Broadway, New York": a street line ending in a city we know.
            if piece.starts_with(|c: char| c.is_ascii_digit())
                && let Some((street, tail)) = piece.split_once(',')
                && street.split_whitespace().count() >= 2
                && let Some(city) = known_city(tail)
            {
                contact.street_address = Some(piece.to_owned());
                contact.location.get_or_insert(Location { city: Some(city.to_owned()), ..Location::default() });
                continue;
            }
            if contact.location.is_none()
                && let Some(loc) = parse_location(piece)
            {
                contact.location = Some(loc);
                continue;
            }
            // "1234 Broadway" then "New York": a city we know, alone, right after a street.
            if contact.location.is_none()
                && let Some(street) = &follows_street
                && let Some(city) = known_city(piece)
            {
                contact.location = Some(Location { city: Some(city.to_owned()), ..Location::default() });
                contact.street_address.get_or_insert_with(|| street.clone());
                continue;
            }
            let words: Vec<&str> = piece.split_whitespace().collect();
            let street_like = (2..=5).contains(&words.len())
                && words[0].bytes().all(|b| b.is_ascii_digit())
                && words[1..].iter().all(|w| w.starts_with(char::is_uppercase));
            after_street = street_like.then(|| piece.to_owned());
        }
    }
}

/// Contact details can sit anywhere (footers, sidebars): fills gaps from the whole text.
pub(super) fn fill_contact_from_text(text: &str, contact: &mut Contact) {
    let mut links = BTreeSet::new();
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, '|' | '•' | '<' | '>' | '(' | ')' | ',' | ';'))
    {
        let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\''));
        if token.is_empty() {
            continue;
        }
        let lower = token.to_ascii_lowercase();
        if contact.email.is_none() && is_email(token) {
            contact.email = Some(token.trim_start_matches("mailto:").to_owned());
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || ["linkedin.com/", "github.com/", "gitlab.com/", "behance.net/", "dribbble.com/"]
                .iter()
                .any(|d| lower.contains(d))
        {
            links.insert(token.to_owned());
        }
    }
    contact.links = links.into_iter().collect();
    if contact.phone.is_none() {
        contact.phone = find_phones(text).into_iter().next();
    }
}

pub(crate) fn is_email(token: &str) -> bool {
    let token = token.trim_start_matches("mailto:");
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// Phone numbers: runs of digits and `+ ( ) - . space` holding 10–15 digits.
pub(crate) fn find_phones(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            let begins = c.is_ascii_digit() || c == '+' || c == '(';
            let preceded_ok = i == 0 || !chars[i - 1].1.is_alphanumeric();
            if !(begins && preceded_ok) {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut digits = 0;
            let mut end = start;
            while j < chars.len() {
                let (pos, d) = chars[j];
                if d.is_ascii_digit() {
                    digits += 1;
                    end = pos + 1;
                } else if !matches!(
                    d,
                    '+' | '(' | ')' | '-' | '.' | ' ' | '\u{a0}' | '\u{ad}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
                ) {
                    break;
                }
                j += 1;
            }
            let candidate = line[start..end].trim_matches(|c: char| c.is_whitespace() || c == '\u{ad}');
            let groups_ok = !candidate.contains("  ") && !text::find_dates(candidate).iter().any(|r| r.end.is_some());
            if (10..=15).contains(&digits) && groups_ok {
                out.push(candidate.to_owned());
            }
            i = j.max(i + 1);
        }
    }
    out
}
