use paddock_sdk::deploy::{DeployState, Source};
use paddock_sdk::state::MemoryStore;

use super::*;

const CTX: Ctx = Ctx {
    now_ms: 0,
    url_suffix: "fake.test",
};

fn req(project: &str, production: bool, env: &[(&str, &str)]) -> CreateRequest {
    CreateRequest {
        project: project.into(),
        source: Source::Image("nginx:1".into()),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        production,
        labels: vec![("team".into(), "web".into())],
    }
}

/// Fetches until the build settles.
fn settle(s: &mut MemoryStore, id: &str) -> Deployment {
    loop {
        let d = get(s, id, &CTX).unwrap();
        if !matches!(d.state, DeployState::Queued | DeployState::Building) {
            return d;
        }
    }
}

fn live(s: &mut MemoryStore, project: &str) -> Vec<String> {
    list(s, Some(project.into()), None, None, &CTX)
        .unwrap()
        .deployments
        .into_iter()
        .filter(|d| d.production)
        .map(|d| d.id)
        .collect()
}

#[test]
fn build_walks_queued_building_ready() {
    let mut s = MemoryStore::new();
    let d = create(&mut s, req("web", false, &[]), &CTX).unwrap();
    assert_eq!(
        (d.id.as_str(), d.state, d.url.clone(), d.production),
        ("dpl_1", DeployState::Queued, None, false)
    );
    assert_eq!(
        get(&mut s, "dpl_1", &CTX).unwrap().state,
        DeployState::Building
    );
    let d = get(&mut s, "dpl_1", &CTX).unwrap();
    assert_eq!(
        (d.state, d.url.as_deref()),
        (DeployState::Ready, Some("https://web-dpl-1.fake.test"))
    );
    assert_eq!(
        get(&mut s, "dpl_1", &CTX).unwrap().state,
        DeployState::Ready
    );
    let lines: Vec<String> = logs(&s, "dpl_1", None, None)
        .unwrap()
        .lines
        .into_iter()
        .map(|l| l.message)
        .collect();
    assert_eq!(
        lines,
        [
            "dpl_1 of project web queued (preview)",
            "source: image nginx:1",
            "labels: team=web",
            "build started",
            "build finished; deployment is ready",
        ]
    );
    assert_eq!(get(&mut s, "dpl_9", &CTX).unwrap_err().kind(), "not-found");
    assert_eq!(get(&mut s, "nope", &CTX).unwrap_err().kind(), "not-found");
}

#[test]
fn fake_fail_from_request_or_project_env() {
    let mut s = MemoryStore::new();
    create(&mut s, req("web", true, &[("FAKE_FAIL", "1")]), &CTX).unwrap();
    let d = settle(&mut s, "dpl_1");
    assert_eq!(
        (d.state, d.url, d.production),
        (DeployState::Error, None, false)
    );
    assert!(d.message.unwrap().contains("FAKE_FAIL=1"));
    env::set(&mut s, "web", vec![("FAKE_FAIL".into(), "1".into())], 0).unwrap();
    create(&mut s, req("web", false, &[]), &CTX).unwrap();
    assert_eq!(settle(&mut s, "dpl_2").state, DeployState::Error);
    create(&mut s, req("web", false, &[("FAKE_FAIL", "0")]), &CTX).unwrap();
    assert_eq!(
        settle(&mut s, "dpl_3").state,
        DeployState::Ready,
        "the request overrides the project"
    );
}

#[test]
fn cancel_only_before_ready() {
    let mut s = MemoryStore::new();
    create(&mut s, req("web", true, &[]), &CTX).unwrap();
    get(&mut s, "dpl_1", &CTX).unwrap();
    let d = cancel(&mut s, "dpl_1", &CTX).unwrap();
    assert_eq!(
        (d.state, d.production, d.message.as_deref()),
        (DeployState::Canceled, false, Some("canceled by request"))
    );
    assert_eq!(
        get(&mut s, "dpl_1", &CTX).unwrap().state,
        DeployState::Canceled
    );
    let e = cancel(&mut s, "dpl_1", &CTX).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "conflict",
            "deployment dpl_1 is canceled; only queued or building deployments can be canceled"
        )
    );
    assert_eq!(
        promote(&mut s, "dpl_1", &CTX).unwrap_err().kind(),
        "conflict"
    );
}

#[test]
fn production_promote_and_rollback() {
    let mut s = MemoryStore::new();
    assert_eq!(
        rollback(&mut s, "web", None, &CTX).unwrap_err().kind(),
        "not-found"
    );
    for _ in 0..3 {
        let d = create(&mut s, req("web", true, &[]), &CTX).unwrap();
        assert!(d.production, "a production build on its way says so");
        settle(&mut s, &d.id);
    }
    let preview = create(&mut s, req("web", false, &[]), &CTX).unwrap().id;
    assert_eq!(live(&mut s, "web"), ["dpl_3"]);
    assert_eq!(
        promote(&mut s, &preview, &CTX).unwrap_err().kind(),
        "conflict",
        "still queued"
    );
    settle(&mut s, &preview);
    assert!(promote(&mut s, &preview, &CTX).unwrap().production);
    assert_eq!(live(&mut s, "web"), ["dpl_4"]);

    assert_eq!(rollback(&mut s, "web", None, &CTX).unwrap().id, "dpl_3");
    assert_eq!(rollback(&mut s, "web", None, &CTX).unwrap().id, "dpl_2");
    assert_eq!(live(&mut s, "web"), ["dpl_2"]);
    assert_eq!(
        rollback(&mut s, "web", Some("dpl_4".into()), &CTX)
            .unwrap()
            .id,
        "dpl_4"
    );
    assert_eq!(rollback(&mut s, "web", None, &CTX).unwrap().id, "dpl_2");
    assert_eq!(rollback(&mut s, "web", None, &CTX).unwrap().id, "dpl_1");
    let e = rollback(&mut s, "web", None, &CTX).unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        (
            "conflict",
            "project 'web' has no earlier production deployment to roll back to"
        )
    );

    create(&mut s, req("api", false, &[]), &CTX).unwrap();
    assert_eq!(
        rollback(&mut s, "web", Some("dpl_5".into()), &CTX)
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    assert_eq!(
        rollback(&mut s, "api", Some("dpl_5".into()), &CTX)
            .unwrap_err()
            .kind(),
        "conflict",
        "not ready"
    );
    assert!(live(&mut s, "api").is_empty());
}

#[test]
fn list_newest_first_with_pages_and_filter() {
    let mut s = MemoryStore::new();
    for p in ["web", "api", "web", "web", "api"] {
        create(&mut s, req(p, false, &[]), &CTX).unwrap();
    }
    let ids = |page: &DeploymentPage| {
        page.deployments
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>()
    };
    let all = list(&s, None, None, None, &CTX).unwrap();
    assert_eq!(
        (ids(&all), all.next_cursor),
        (
            vec!["dpl_5", "dpl_4", "dpl_3", "dpl_2", "dpl_1"]
                .into_iter()
                .map(String::from)
                .collect(),
            None
        )
    );
    let p1 = list(&s, Some("web".into()), None, Some(2), &CTX).unwrap();
    assert_eq!(ids(&p1), ["dpl_4", "dpl_3"]);
    let p2 = list(&s, Some("web".into()), p1.next_cursor, Some(2), &CTX).unwrap();
    assert_eq!((ids(&p2), p2.next_cursor), (vec!["dpl_1".to_owned()], None));
    assert!(
        list(&s, Some("none".into()), None, None, &CTX)
            .unwrap()
            .deployments
            .is_empty()
    );
    assert_eq!(
        list(&s, None, Some("x".into()), None, &CTX)
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    assert_eq!(
        list(&s, None, None, Some(0), &CTX).unwrap_err().kind(),
        "invalid-input"
    );
    assert_eq!(
        list(&s, Some("Bad".into()), None, None, &CTX)
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
}

#[test]
fn create_validates() {
    let mut s = MemoryStore::new();
    assert_eq!(
        create(&mut s, req("Bad Name", false, &[]), &CTX)
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    assert_eq!(
        create(&mut s, req("web", false, &[("1X", "")]), &CTX)
            .unwrap_err()
            .kind(),
        "invalid-input"
    );
    let mut r = req("web", false, &[]);
    r.source = Source::Folder("/no/such/folder".into());
    create(&mut s, r, &CTX).unwrap();
    let lines = logs(&s, "dpl_1", None, None).unwrap().lines;
    assert!(lines[1].message.contains("not readable from the driver"));
    assert_eq!(count(&s), 1, "failed creates take no number");
}
