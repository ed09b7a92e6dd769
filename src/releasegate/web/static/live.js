// Live status of a release: the page works without this script; it only saves a reload.
(function () {
  var status = document.getElementById("release-status");
  var verdict = document.getElementById("verdict");
  var rollout = document.getElementById("rollout");
  var progress = document.getElementById("rollout-progress");
  var words = { allowed: "Allowed", denied: "Blocked", pending: "Waiting for approval" };
  if (!status || !window.EventSource) { return; }
  var fingerprint = rollout ? rollout.getAttribute("data-fingerprint") : "";
  var source = new EventSource(
    window.location.pathname + "/events?rollout=" + encodeURIComponent(fingerprint || ""));
  source.addEventListener("status", function (event) {
    var data = JSON.parse(event.data);
    if (status.textContent !== data.status) {
      status.textContent = data.status;
      status.className = "status " + data.status;
      if (verdict && words[data.status]) { verdict.textContent = words[data.status]; }
    }
  });
  // The server renders the rollout part; the page swaps it in and updates the live region.
  source.addEventListener("rollout", function (event) {
    var data = JSON.parse(event.data);
    if (!rollout || data.fingerprint === rollout.getAttribute("data-fingerprint")) { return; }
    rollout.innerHTML = data.html;
    rollout.setAttribute("data-fingerprint", data.fingerprint);
    if (progress && progress.textContent !== data.progress) { progress.textContent = data.progress; }
  });
})();
