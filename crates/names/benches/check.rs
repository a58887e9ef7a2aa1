//! Conflict-check figures (issue #16 §1): index build time and check
//! latency over 100,000 generated parties and clients, beside a plain
//! substring `LIKE '%name%'` query on the same names in SQLite.
//!
//!     cargo bench -p matterbox-names --bench check
//!
//! Names are generated from common given names, surnames and business
//! words (a fixed seed, so every run sees the same data); 300 queries:
//! half are existing names changed the way a new client's name differs
//! from an old record (nickname, typo, order, legal form, transliteration,
//! initial), half are fresh names. It also counts how many of the changed
//! names each method finds again.

use std::time::{Duration, Instant};

use matterbox_names::{Entry, NameIndex, NameKind};

const ENTRIES: usize = 100_000;
const QUERIES: usize = 300;

const GIVEN: &[&str] = &[
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Alexander",
    "Patrick",
    "Frank",
    "Raymond",
    "Jack",
    "Dennis",
    "Jerry",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Dorothy",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Angela",
    "Shirley",
    "Anna",
    "Brenda",
    "Pamela",
    "Emma",
    "Nicole",
    "Helen",
    "Samantha",
    "Katherine",
    "Christine",
    "Debra",
    "Rachel",
    "Catherine",
    "Carolyn",
    "Janet",
    "Ruth",
    "Maria",
    "Hans",
    "Jürgen",
    "Klaus",
    "Günther",
    "Uwe",
    "Stefan",
    "Sabine",
    "Ursula",
    "Monika",
    "Petra",
    "José",
    "Juan",
    "Carlos",
    "Luis",
    "Javier",
    "Lucía",
    "Carmen",
    "Sofía",
    "François",
    "Pierre",
    "Jean",
    "Hélène",
    "Céline",
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "Ivan",
    "Sergei",
    "Dmitri",
    "Olga",
    "Natalia",
    "Ahmed",
    "Mohammed",
    "Fatima",
    "Aisha",
    "Omar",
    "Wei",
    "Li",
    "Hiroshi",
    "Yuki",
    "Kenji",
    "Priya",
    "Ravi",
    "Arjun",
    "Chinedu",
    "Ngozi",
    "Søren",
    "Åsa",
    "Björn",
    "Łukasz",
    "Agnieszka",
    "Piotr",
    "Mehmet",
    "Ayşe",
    "Nguyen",
    "Minh",
];

const SURNAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Gonzales",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Reynolds",
    "Griffin",
    "Wallace",
    "Moreno",
    "West",
    "Cole",
    "Hayes",
    "Bryant",
    "Herrera",
    "Gibson",
    "Ellis",
    "Tran",
    "Medina",
    "Aguilar",
    "Stevens",
    "Murray",
    "Ford",
    "Castro",
    "Marshall",
    "Owens",
    "Harrison",
    "Fernandez",
    "McDonald",
    "Woods",
    "Washington",
    "Kennedy",
    "Wells",
    "Vargas",
    "Henry",
    "Chen",
    "Freeman",
    "Webb",
    "Tucker",
    "Guzman",
    "Burns",
    "Crawford",
    "Olson",
    "Simpson",
    "Porter",
    "Hunter",
    "Gordon",
    "Mendez",
    "Silva",
    "Shaw",
    "Snyder",
    "Mason",
    "Dixon",
    "Muñoz",
    "Hunt",
    "Hicks",
    "Holmes",
    "Palmer",
    "Wagner",
    "Black",
    "Robertson",
    "Boyd",
    "Rose",
    "Stone",
    "Salazar",
    "Fox",
    "Warren",
    "Mills",
    "Meyer",
    "Rice",
    "Schmidt",
    "Garza",
    "Daniels",
    "Ferguson",
    "Nichols",
    "Stephens",
    "Soto",
    "Weaver",
    "Ryan",
    "Gardner",
    "Payne",
    "Grant",
    "Dunn",
    "Kelley",
    "Spencer",
    "Hawkins",
    "Arnold",
    "Pierce",
    "Vazquez",
    "Hansen",
    "Peters",
    "Santos",
    "Hart",
    "Bradley",
    "Knight",
    "Elliott",
    "Cunningham",
    "Duncan",
    "Armstrong",
    "Hudson",
    "Carroll",
    "Lane",
    "Riley",
    "Andrews",
    "Alvarado",
    "Ray",
    "Delgado",
    "Berry",
    "Perkins",
    "Hoffman",
    "Johnston",
    "Matthews",
    "Peña",
    "Richards",
    "Contreras",
    "Willis",
    "Carpenter",
    "Lawrence",
    "Sandoval",
    "Müller",
    "Schneider",
    "Fischer",
    "Weber",
    "Schulz",
    "Becker",
    "Koch",
    "Schröder",
    "Wolf",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Laurent",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Ivanov",
    "Petrov",
    "Volkov",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Wang",
    "Zhang",
    "Liu",
    "Okafor",
    "Adeyemi",
    "Khan",
    "Hassan",
    "Haddad",
    "Andersson",
    "Johansson",
    "Nielsen",
    "Jensen",
    "Novák",
    "Horváth",
    "Papadopoulos",
    "O'Brien",
    "O'Connor",
];

const BUSINESS: &[&str] = &[
    "Acme",
    "Apex",
    "Summit",
    "Pinnacle",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Globex",
    "Initech",
    "Umbrella",
    "Vertex",
    "Horizon",
    "Meridian",
    "Atlas",
    "Orion",
    "Phoenix",
    "Sterling",
    "Evergreen",
    "Blue",
    "Red",
    "Green",
    "Silver",
    "Golden",
    "North",
    "South",
    "East",
    "West",
    "River",
    "Lake",
    "Harbor",
    "Bay",
    "Oak",
    "Pine",
    "Cedar",
    "Maple",
    "Stone",
    "Bridge",
    "Crown",
    "Eagle",
    "Falcon",
    "Lion",
    "Star",
    "Sun",
    "Moon",
    "Coast",
    "Valley",
    "Hill",
    "Union",
    "Capital",
    "Pacific",
    "Atlantic",
    "Central",
    "Metro",
    "City",
    "Royal",
    "Prime",
    "Alpine",
    "Nordic",
    "Delta",
    "Omega",
    "Alpha",
    "Beta",
    "Quantum",
    "Fusion",
    "Bright",
    "Clear",
    "Swift",
    "Iron",
    "Copper",
    "Granite",
    "Crystal",
    "Emerald",
    "Sapphire",
    "Keystone",
    "Landmark",
    "Heritage",
    "Liberty",
    "Pioneer",
    "Frontier",
    "Beacon",
    "Anchor",
    "Compass",
];

const TRADE: &[&str] = &[
    "Logistics",
    "Foods",
    "Energy",
    "Dental",
    "Motors",
    "Insurance",
    "Bakery",
    "Pharmacy",
    "Construction",
    "Builders",
    "Shipping",
    "Software",
    "Media",
    "Textiles",
    "Farms",
    "Wines",
    "Printing",
    "Plumbing",
    "Electric",
    "Engineering",
    "Imaging",
    "Labs",
    "Design",
    "Realty",
    "Transport",
    "Airlines",
    "Marine",
    "Mining",
    "Steel",
    "Paper",
    "Chemicals",
    "Retail",
];

const GENERIC: &[&str] = &[
    "Holdings",
    "Group",
    "Services",
    "Partners",
    "International",
    "Solutions",
];
const FORMS: &[&str] = &[
    "Ltd",
    "Limited",
    "LLC",
    "Inc.",
    "Corp.",
    "Corporation",
    "GmbH",
    "AG",
    "S.A.",
    "SARL",
    "B.V.",
    "plc",
    "LLP",
    "& Co.",
    "Pty Ltd",
    "",
];

/// SplitMix64: a fixed, dependency-free stream of numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards the start of a list: common names are common.
    fn skewed<'a>(&mut self, list: &[&'a str]) -> &'a str {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        list[((u * u) * list.len() as f64) as usize]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn person(rng: &mut Rng) -> String {
    let given = rng.skewed(GIVEN);
    let surname = rng.skewed(SURNAMES);
    match rng.below(10) {
        0 => format!("{surname}, {given}"),
        1 => format!("{given} {} {surname}", rng.skewed(GIVEN)),
        2 => format!(
            "{given} {}. {surname}",
            (b'A' + rng.below(26) as u8) as char
        ),
        3 => format!("{given} {surname}-{}", rng.skewed(SURNAMES)),
        _ => format!("{given} {surname}"),
    }
}

fn organisation(rng: &mut Rng) -> String {
    let form = FORMS[rng.below(FORMS.len())];
    let name = match rng.below(6) {
        0 => format!("{} & {}", rng.skewed(SURNAMES), rng.skewed(SURNAMES)),
        1 => format!(
            "{} {}",
            rng.skewed(SURNAMES),
            GENERIC[rng.below(GENERIC.len())]
        ),
        2 => format!(
            "{} {} {}",
            rng.skewed(BUSINESS),
            rng.skewed(BUSINESS),
            rng.skewed(TRADE)
        ),
        _ => format!("{} {}", rng.skewed(BUSINESS), rng.skewed(TRADE)),
    };
    format!("{name} {form}").trim().to_owned()
}

/// An existing name as a new intake might spell it.
fn changed(rng: &mut Rng, name: &str, kind: NameKind) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match (kind, rng.below(6)) {
        (NameKind::Organisation, 0) => {
            let core: Vec<&str> = words
                .iter()
                .copied()
                .filter(|w| !FORMS.iter().any(|f| !f.is_empty() && f.contains(w)))
                .collect();
            format!("{} {}", core.join(" "), FORMS[rng.below(FORMS.len())])
        }
        (NameKind::Person, 0) => {
            let swap = [
                ("Robert", "Bob"),
                ("William", "Bill"),
                ("Elizabeth", "Liz"),
                ("James", "Jim"),
                ("Richard", "Dick"),
                ("Margaret", "Peggy"),
                ("Thomas", "Tom"),
                ("Michael", "Mike"),
            ];
            swap.iter()
                .find(|(full, _)| name.contains(full))
                .map_or_else(
                    || name.to_uppercase(),
                    |(full, short)| name.replace(full, short),
                )
        }
        (_, 1) => {
            // a typo: two neighbouring letters of the last word swapped
            let mut chars: Vec<char> = name.chars().collect();
            let n = chars.len();
            if n > 4 {
                chars.swap(n - 3, n - 2);
            }
            chars.into_iter().collect()
        }
        (_, 2) => words.iter().rev().copied().collect::<Vec<_>>().join(" "),
        (_, 3) => name
            .replace("ü", "ue")
            .replace("ö", "oe")
            .replace('é', "e")
            .to_lowercase(),
        (NameKind::Person, 4) if words.len() >= 2 => {
            let first: String = words[0].chars().take(1).collect();
            format!("{first}. {}", words[1..].join(" "))
        }
        _ => name
            .replace("Smith", "Smyth")
            .replace("Meyer", "Maier")
            .replace("Catherine", "Katherine"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    println!(
        "{label:<38} p50 {:>9}  p95 {:>9}  max {:>9}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
    );
}

fn main() -> rusqlite::Result<()> {
    let mut rng = Rng(0x6d61_7474_6572_626f);
    let entries: Vec<Entry<usize>> = (0..ENTRIES)
        .map(|i| {
            let kind = if rng.chance(70) {
                NameKind::Person
            } else {
                NameKind::Organisation
            };
            let name = if kind == NameKind::Person {
                person(&mut rng)
            } else {
                organisation(&mut rng)
            };
            let aliases = if rng.chance(10) {
                vec![if kind == NameKind::Person {
                    person(&mut rng)
                } else {
                    organisation(&mut rng)
                }]
            } else {
                Vec::new()
            };
            Entry {
                payload: i,
                kind,
                name,
                aliases,
            }
        })
        .collect();
    let names_total: usize = entries.iter().map(|e| 1 + e.aliases.len()).sum();

    // Queries: half changed existing names (and which entry they came
    // from), half fresh names.
    let queries: Vec<(String, NameKind, Option<usize>)> = (0..QUERIES)
        .map(|q| {
            if q % 2 == 0 {
                let e = &entries[rng.below(ENTRIES)];
                (changed(&mut rng, &e.name, e.kind), e.kind, Some(e.payload))
            } else if rng.chance(70) {
                (person(&mut rng), NameKind::Person, None)
            } else {
                (organisation(&mut rng), NameKind::Organisation, None)
            }
        })
        .collect();

    // SQLite: the same names in a table, a LIKE per query.
    let db = rusqlite::Connection::open_in_memory()?;
    let started = Instant::now();
    db.execute_batch("CREATE TABLE names (entry INTEGER NOT NULL, name TEXT NOT NULL)")?;
    {
        let tx = db.unchecked_transaction()?;
        let mut insert = tx.prepare("INSERT INTO names (entry, name) VALUES (?1, ?2)")?;
        for e in &entries {
            for name in std::iter::once(&e.name).chain(&e.aliases) {
                insert.execute(rusqlite::params![e.payload as i64, name])?;
            }
        }
        drop(insert);
        tx.commit()?;
    }
    let sqlite_load = started.elapsed();
    let mut like =
        db.prepare("SELECT DISTINCT entry FROM names WHERE name LIKE '%' || ?1 || '%'")?;
    let mut like_times = Vec::new();
    let (mut like_found, mut like_hits) = (0, 0usize);
    for (query, _, source) in &queries {
        let started = Instant::now();
        let ids: Vec<i64> = like
            .query_map([query], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        like_times.push(started.elapsed());
        like_hits += ids.len();
        if let Some(source) = source
            && ids.contains(&(*source as i64))
        {
            like_found += 1;
        }
    }

    let names_of: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let mut missed = Vec::new();
    let started = Instant::now();
    let index = NameIndex::from_entries(entries);
    let build = started.elapsed();
    let mut check_times = Vec::new();
    let (mut found, mut hits_total, mut most_hits) = (0, 0usize, 0usize);
    let mut busiest = String::new();
    for (query, kind, source) in &queries {
        let started = Instant::now();
        let hits = index.check(query, *kind);
        check_times.push(started.elapsed());
        hits_total += hits.len();
        if hits.len() > most_hits {
            most_hits = hits.len();
            busiest = query.clone();
        }
        if let Some(source) = source {
            if hits.iter().any(|h| h.payload == source) {
                found += 1;
            } else {
                missed.push(format!("{query:?} (for {:?})", names_of[*source]));
            }
        }
    }

    let changed_queries = queries.iter().filter(|q| q.2.is_some()).count();
    println!(
        "{ENTRIES} entries ({names_total} names with aliases), {QUERIES} queries \
         ({changed_queries} changed existing names, the rest fresh)"
    );
    println!("name index build                       {}", ms(build));
    println!("SQLite in-memory table load            {}", ms(sqlite_load));
    report("name index check", check_times);
    report("SQLite LIKE '%name%'", like_times);
    println!(
        "changed names found again: name index {found}/{changed_queries}, LIKE {like_found}/{changed_queries}; \
         hits per query: name index {:.1} (at most {most_hits}, for {busiest:?}), LIKE {:.1}",
        hits_total as f64 / QUERIES as f64,
        like_hits as f64 / QUERIES as f64
    );
    for m in &missed {
        println!("not found by the name index: {m}");
    }
    Ok(())
}
