//! Requests arriving at random: the M/M/c queue (Poisson arrivals, exponential service, c servers;
//! Kleinrock 1975, "Queueing Systems, Volume 1", §3.5, eqs. 3.39–3.40, Erlang's C formula), with
//! Little's law L = λW (Little 1961) for the sequences in service.
//!
//! A replica serving continuous batches has one server per sequence its KV pool holds: a request
//! waits for admission only while every slot is taken.

/// The chance an arrival waits, C(c, a), for `servers` servers offered `load` = λ/μ erlangs: from
/// Erlang's B by its recurrence B(0) = 1, B(k) = a·B(k−1)/(k + a·B(k−1)), then
/// C = c·B/(c − a(1 − B)); 1 when the load reaches the servers.
pub fn erlang_c(servers: u64, load: f64) -> f64 {
    let c = servers as f64;
    if load >= c {
        return 1.0;
    }
    let b = (1..=servers).fold(1.0, |b, k| load * b / (k as f64 + load * b));
    c * b / (c - load * (1.0 - b))
}

/// Mean wait in the queue, W_q = C(c, a) · S/(c − a), for `servers` servers each taking `service`
/// seconds a request, at `rate` arrivals a second; infinite when the load reaches the servers.
pub fn queueing_delay(servers: u64, service: f64, rate: f64) -> f64 {
    let (c, load) = (servers as f64, rate * service);
    if load >= c {
        return f64::INFINITY;
    }
    erlang_c(servers, load) * service / (c - load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_is_m_m_1() {
        // M/M/1 with λ = 3/s and S = 0.25 s: ρ = 0.75 waits with chance ρ, W_q = ρS/(1 − ρ) = 0.75 s.
        assert!((erlang_c(1, 0.75) - 0.75).abs() < 1e-12);
        assert!((queueing_delay(1, 0.25, 3.0) - 0.75).abs() < 1e-12);
        assert_eq!(queueing_delay(1, 0.25, 4.0), f64::INFINITY);
    }

    #[test]
    fn two_servers_by_hand() {
        // c = 2, a = 1: C = (a²/2 · 2/(2 − a)) / (1 + a + a²/2 · 2/(2 − a)) = 1 / (1 + 1 + 1) = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // S = 1 s: W_q = (1/3) · 1/(2 − 1) = 1/3 s.
        assert!((queueing_delay(2, 1.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    }
}
