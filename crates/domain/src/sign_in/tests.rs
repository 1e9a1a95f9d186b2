use super::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn describe(ua: &str) -> String {
    Device::from_user_agent(ua).describe()
}

#[test]
fn common_browsers_are_named() {
    let cases = [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Safari on Mac",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPad",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
            "Opera on ChromeOS",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "a browser on Windows"),
        ("curl/8.5.0", "unknown device"),
        ("", "unknown device"),
    ];
    for (ua, want) in cases {
        assert_eq!(describe(ua), want, "{ua}");
    }
}

#[test]
fn places_as_far_as_the_address_tells() {
    let place = |a: IpAddr| Place::of(Some(a)).describe();
    assert_eq!(place(IpAddr::V4(Ipv4Addr::LOCALHOST)), "this computer");
    assert_eq!(place(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))), "this computer");
    assert_eq!(place(IpAddr::V6(Ipv6Addr::LOCALHOST)), "this computer");
    assert_eq!(place("::ffff:127.0.0.1".parse().unwrap()), "this computer");
    for local in ["10.1.2.3", "172.16.0.9", "192.168.1.20", "169.254.3.4", "fd12:3456::1", "fe80::1", "::ffff:10.0.0.1"]
    {
        assert_eq!(place(local.parse().unwrap()), "a local network", "{local}");
    }
    assert_eq!(place("203.0.113.7".parse().unwrap()), "203.0.113.7");
    assert_eq!(place("2001:db8::5".parse().unwrap()), "2001:db8::5");
    assert_eq!(place("172.32.0.1".parse().unwrap()), "172.32.0.1");
    assert_eq!(Place::of(None).describe(), "an unknown place");
}

#[test]
fn who_is_told() {
    assert!(!tell_new_sign_in(true, false));
    assert!(!tell_new_sign_in(false, true));
    assert!(tell_new_sign_in(false, false));
    let told: Vec<u32> = (0..40).filter(|n| tell_failures(*n)).collect();
    assert_eq!(told, vec![5]);
    assert_eq!(KNOWN_DEVICE_MEMORY, Span::from_hours(24 * 90));
}

proptest! {
    #[test]
    fn any_user_agent_gives_a_short_description(ua in "\\PC{0,300}") {
        let d = describe(&ua);
        prop_assert!(!d.is_empty() && d.len() <= 40);
    }

    #[test]
    fn public_v4_addresses_are_shown_as_they_are(a in any::<u32>()) {
        let v4 = Ipv4Addr::from(a);
        prop_assume!(!v4.is_loopback() && !v4.is_private() && !v4.is_link_local());
        prop_assert_eq!(Place::of(Some(IpAddr::V4(v4))).describe(), v4.to_string());
    }
}
