//! `--search-messages N`: how fast is search over sealed messages, and what
//! does indexing cost on the send path?
//!
//! Seeds N messages through the real API (each patient writing into its own
//! conversation, concurrently), timing the sends, which index each body as
//! they commit. The words come from a synthetic vocabulary of 5,000 words
//! drawn with a Zipf distribution, 30 words a message, from a fixed seed:
//! a few words are in most messages, most words are rare, as in a clinic's
//! language. Then a nurse who may read every conversation runs each kind of
//! query 50 times, one at a time, and the latencies are printed.

use crate::{login, percentile};
use anyhow::Context as _;
use serde_json::json;
use std::time::{Duration, Instant};

const VOCABULARY: usize = 5_000;
const WORDS_PER_MESSAGE: usize = 30;
const RUNS: usize = 50;

/// The `rank`th word of the vocabulary (0: the most frequent), made of
/// syllables so it reads as a word and its prefixes are shared by others.
fn word(rank: usize) -> String {
    const SYLLABLES: [&str; 16] =
        ["ka", "lo", "mi", "ren", "tor", "sa", "vi", "del", "pa", "no", "qu", "zen", "ra", "ti", "mo", "bel"];
    let mut n = rank + 16;
    let mut out = String::new();
    while n > 0 {
        out.push_str(SYLLABLES.get(n % 16).copied().unwrap_or("ka"));
        n /= 16;
    }
    out
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf(1) over the vocabulary, by inverting its cumulative weights.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Self {
        let mut acc = 0.0;
        let cdf = (1..=n)
            .map(|r| {
                acc += 1.0 / r as f64;
                acc
            })
            .collect::<Vec<_>>();
        let total = acc;
        Zipf(cdf.into_iter().map(|c| c / total).collect())
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.0.partition_point(|c| *c < u).min(self.0.len() - 1)
    }
}

fn message(rng: &mut Rng, zipf: &Zipf) -> String {
    let words: Vec<String> = (0..WORDS_PER_MESSAGE).map(|_| word(zipf.sample(rng))).collect();
    words.join(" ")
}

/// One patient's share of the seed: a conversation, then `count` messages.
async fn seed(i: usize, url: String, client: reqwest::Client, count: usize) -> anyhow::Result<Vec<u32>> {
    let token = login(&client, &url, &format!("patient{i}")).await?;
    let zipf = Zipf::new(VOCABULARY);
    let mut rng = Rng(0x5eed_0000 + i as u64 * 7919 + 1);
    let created: serde_json::Value = client
        .post(format!("{url}/api/v1/conversations"))
        .bearer_auth(&token)
        .json(&json!({"subject": "Seeded", "topic": "care_question", "body": message(&mut rng, &zipf)}))
        .send()
        .await?
        .json()
        .await?;
    let conversation = created.get("id").and_then(|v| v.as_str()).context("create failed")?.to_owned();
    let send_url = format!("{url}/api/v1/conversations/{conversation}/messages");
    let mut latencies = Vec::with_capacity(count);
    for n in 1..count {
        // The last message carries a word of its own, to tell when the index
        // has caught up.
        let body =
            if n + 1 == count { format!("{} qqmark{i}x", message(&mut rng, &zipf)) } else { message(&mut rng, &zipf) };
        let started = Instant::now();
        let r = client.post(&send_url).bearer_auth(&token).json(&json!({"body": body})).send().await?;
        anyhow::ensure!(r.status() == reqwest::StatusCode::CREATED, "a seed message failed: {}", r.status());
        let _ = r.bytes().await;
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    Ok(latencies)
}

fn client(cert: &reqwest::Certificate) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert.clone())
        .pool_max_idle_per_host(1)
        .build()?)
}

pub(crate) async fn run(url: &str, cert: &str, messages: usize, patients: usize) -> anyhow::Result<()> {
    let cert = reqwest::Certificate::from_pem(cert.as_bytes())?;
    let per_patient = messages.div_ceil(patients.max(1));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..patients {
        set.spawn(seed(i, url.to_owned(), client(&cert)?, per_patient));
    }
    let mut sends = Vec::new();
    while let Some(r) = set.join_next().await {
        sends.extend(r??);
    }
    let took = started.elapsed();
    sends.sort_unstable();
    let total = patients * per_patient;
    println!("seed");
    println!(
        "  messages: {total} ({patients} patients writing at once), {:.0} messages/s, {:.0} s",
        total as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
    println!(
        "  sending:  p50 {:.2} ms, p99 {:.2} ms (each send indexes its body in the same commit)",
        percentile(&sends, 50.0),
        percentile(&sends, 99.0)
    );

    let nurse = client(&cert)?;
    let token = login(&nurse, url, "load.nurse").await?;
    // Every patient's last message can be found (indexing is part of the
    // send; this checks it).
    let mut waiting: Vec<usize> = (0..patients).collect();
    while let Some(&i) = waiting.first() {
        let r = nurse
            .post(format!("{url}/api/v1/search"))
            .bearer_auth(&token)
            .json(&json!({"q": format!("qqmark{i}x")}))
            .send()
            .await?;
        let page: serde_json::Value = r.json().await?;
        if page.get("results").and_then(|r| r.as_array()).is_some_and(|a| !a.is_empty()) {
            waiting.remove(0);
        } else {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let caught_up = started.elapsed();
    println!(
        "  indexed:  all {total} messages searchable {:.1} s after the first was sent ({:.1} s after the last), {:.0} messages indexed/s",
        caught_up.as_secs_f64(),
        (caught_up - took).as_secs_f64(),
        total as f64 / caught_up.as_secs_f64()
    );
    let queries: [(&str, String); 5] = [
        ("a word in most messages", word(0)),
        ("a word in about 1 in 20 messages", word(30)),
        ("a rare word", word(3_000)),
        ("two words", format!("{} {}", word(5), word(200))),
        ("a 3-letter start", word(0).chars().take(3).collect()),
    ];
    println!("search (a nurse who reads every conversation; 20 results a page; {RUNS} runs each, one at a time)");
    for (what, q) in queries {
        let mut latencies = Vec::with_capacity(RUNS);
        let mut shown = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let r = nurse
                .post(format!("{url}/api/v1/search"))
                .bearer_auth(&token)
                .json(&json!({"q": q}))
                .timeout(Duration::from_secs(120))
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "a search failed: {}", r.status());
            let page: serde_json::Value = r.json().await?;
            latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            shown = page.get("results").and_then(|r| r.as_array()).map_or(0, Vec::len);
        }
        latencies.sort_unstable();
        println!(
            "  {what:<34} p50 {:>8.2} ms  p99 {:>8.2} ms  ({shown} results shown)",
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0)
        );
    }
    Ok(())
}
