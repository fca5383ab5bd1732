/* docgen: follow a patient-list job. Polls its status and updates the progress bar; reloads the page
   when the job ends, so the downloads and refused rows come from the server. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var url = box.getAttribute("data-status-url");
  if (["queued", "running"].indexOf(box.getAttribute("data-status")) < 0) { return; }

  function show(job) {
    if (job.total) {
      bar.max = job.total;
      bar.value = job.done;
      state.textContent = job.done + " of " + job.total + " rows done.";
    } else if (job.status === "running") {
      state.textContent = job.done + " rows done.";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        show(job);
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(poll, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
}());
