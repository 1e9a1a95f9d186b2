//! What a person is shown about where they are signed in: the device a
//! session was opened on, described from its `User-Agent` ("Chrome on
//! Android", "Safari on iPhone", "unknown device"), and the place, as far
//! as the address tells without a location database ("this computer", "a
//! local network", otherwise the address itself). And when a sign-in is
//! worth telling the account holder about.

use crate::time::Span;
use std::net::IpAddr;

/// A browser, as far as its `User-Agent` says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Browser {
    Chrome,
    Edge,
    Firefox,
    Safari,
    Opera,
    SamsungInternet,
}

impl Browser {
    pub const fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "Chrome",
            Browser::Edge => "Edge",
            Browser::Firefox => "Firefox",
            Browser::Safari => "Safari",
            Browser::Opera => "Opera",
            Browser::SamsungInternet => "Samsung Internet",
        }
    }
}

/// An operating system or kind of device.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum System {
    Android,
    IPhone,
    IPad,
    Windows,
    Mac,
    ChromeOs,
    Linux,
}

impl System {
    pub const fn name(self) -> &'static str {
        match self {
            System::Android => "Android",
            System::IPhone => "iPhone",
            System::IPad => "iPad",
            System::Windows => "Windows",
            System::Mac => "Mac",
            System::ChromeOs => "ChromeOS",
            System::Linux => "Linux",
        }
    }
}

/// The device a session was opened on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Device {
    pub browser: Option<Browser>,
    pub system: Option<System>,
}

/// What an unrecognised device is called.
pub const UNKNOWN_DEVICE: &str = "unknown device";

impl Device {
    /// Reads a `User-Agent` header. Only well-known tokens are looked for;
    /// anything else is an unknown browser or system.
    pub fn from_user_agent(ua: &str) -> Device {
        let has = |token: &str| ua.contains(token);
        let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
            Some(Browser::Edge)
        } else if has("OPR/") || has("OPiOS/") {
            Some(Browser::Opera)
        } else if has("SamsungBrowser/") {
            Some(Browser::SamsungInternet)
        } else if has("Firefox/") || has("FxiOS/") {
            Some(Browser::Firefox)
        } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
            Some(Browser::Chrome)
        } else if has("Safari/") && has("Version/") {
            Some(Browser::Safari)
        } else {
            None
        };
        let system = if has("iPhone") || has("iPod") {
            Some(System::IPhone)
        } else if has("iPad") {
            Some(System::IPad)
        } else if has("Android") {
            Some(System::Android)
        } else if has("CrOS") {
            Some(System::ChromeOs)
        } else if has("Windows") {
            Some(System::Windows)
        } else if has("Macintosh") || has("Mac OS X") {
            Some(System::Mac)
        } else if has("Linux") || has("X11") {
            Some(System::Linux)
        } else {
            None
        };
        Device { browser, system }
    }

    /// The short description kept with the session and shown to its holder:
    /// "Chrome on Android", "Firefox", "a browser on Windows", "unknown device".
    pub fn describe(self) -> String {
        match (self.browser, self.system) {
            (Some(b), Some(s)) => format!("{} on {}", b.name(), s.name()),
            (Some(b), None) => b.name().to_owned(),
            (None, Some(s)) => format!("a browser on {}", s.name()),
            (None, None) => UNKNOWN_DEVICE.to_owned(),
        }
    }
}

/// Where a session's address places it, as far as the address alone tells.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    /// A loopback address: the server's own machine.
    ThisComputer,
    /// A private, unique-local or link-local address.
    LocalNetwork,
    /// Any other address, shown as it is.
    Address(IpAddr),
    /// No address was recorded.
    Unknown,
}

impl Place {
    pub fn of(addr: Option<IpAddr>) -> Place {
        let Some(addr) = addr else { return Place::Unknown };
        let addr = addr.to_canonical();
        let local = match addr {
            IpAddr::V4(v4) => {
                if v4.is_loopback() {
                    return Place::ThisComputer;
                }
                v4.is_private() || v4.is_link_local()
            }
            IpAddr::V6(v6) => {
                if v6.is_loopback() {
                    return Place::ThisComputer;
                }
                let first = v6.segments().first().copied().unwrap_or(0);
                // fc00::/7 unique local, fe80::/10 link-local.
                (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        };
        if local { Place::LocalNetwork } else { Place::Address(addr) }
    }

    /// The words shown: "this computer", "a local network", the address,
    /// or "an unknown place".
    pub fn describe(self) -> String {
        match self {
            Place::ThisComputer => "this computer".to_owned(),
            Place::LocalNetwork => "a local network".to_owned(),
            Place::Address(a) => a.to_string(),
            Place::Unknown => "an unknown place".to_owned(),
        }
    }
}

/// A sign-in is from a new device unless the account signed in within this
/// long from the same device description and the same address.
pub const KNOWN_DEVICE_MEMORY: Span = Span::from_hours(90 * 24);

/// The consecutive failed sign-ins on one account at which its holder is
/// told (once per throttle window: the count starts again after a success
/// or a quiet hour).
pub const FAILURES_TOLD_AT: u32 = 5;

/// Whether a successful sign-in is told to the account holder: not the
/// account's first sign-in ever, and from a device and address it has not
/// signed in from within [`KNOWN_DEVICE_MEMORY`].
pub const fn tell_new_sign_in(first_sign_in: bool, known_recently: bool) -> bool {
    !first_sign_in && !known_recently
}

/// Whether a failed sign-in, the account's `consecutive`-th in its
/// throttle window, is told to the account holder.
pub const fn tell_failures(consecutive: u32) -> bool {
    consecutive == FAILURES_TOLD_AT
}

#[cfg(test)]
mod tests;
