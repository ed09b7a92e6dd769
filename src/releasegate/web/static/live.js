// Live status of a release: the page works without this script; it only saves a reload.
(function () {
  var status = document.getElementById("release-status");
  var verdict = document.getElementById("verdict");
  var words = { allowed: "Allowed", denied: "Blocked", pending: "Waiting for approval" };
  if (!status || !window.EventSource) { return; }
  var source = new EventSource(window.location.pathname + "/events");
  source.addEventListener("status", function (event) {
    var data = JSON.parse(event.data);
    if (status.textContent !== data.status) {
      status.textContent = data.status;
      status.className = "status " + data.status;
      if (verdict && words[data.status]) { verdict.textContent = words[data.status]; }
    }
  });
})();
