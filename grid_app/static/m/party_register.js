// The registration form's helpers: building search, the units of the building's community, the position.
(function () {
  "use strict";
  var form = document.getElementById("party-form");
  if (!form) return;
  var q = document.getElementById("building-q"), building = document.getElementById("building");
  var unit = document.getElementById("unit"), timer = null;

  function option(value, label) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label;
    return o;
  }

  function loadUnits(code) {
    var keep = unit.options[0];
    unit.replaceChildren(keep);
    if (!code) return;
    fetch(form.dataset.units + "?building=" + encodeURIComponent(code), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {units: []}; })
      .then(function (data) { data.units.forEach(function (u) { unit.appendChild(option(u.code, u.name)); }); });
  }

  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (q.value.trim().length < 2) return;
      fetch(form.dataset.buildings + "?q=" + encodeURIComponent(q.value.trim()), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {buildings: []}; })
        .then(function (data) {
          var keep = building.options[0];
          building.replaceChildren(keep);
          data.buildings.forEach(function (b) { building.appendChild(option(b.code, b.label + " · " + b.code)); });
          if (data.buildings.length) { building.selectedIndex = 1; loadUnits(building.value); }
        });
    }, 250);
  });
  building.addEventListener("change", function () { loadUnits(building.value); });

  document.getElementById("use-position").addEventListener("click", function () {
    var status = document.getElementById("position-status");
    if (!navigator.geolocation) { status.textContent = "—"; return; }
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("lon").value = p.coords.longitude.toFixed(7);
      document.getElementById("lat").value = p.coords.latitude.toFixed(7);
      status.textContent = "✓ " + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5);
    }, function (e) { status.textContent = e.message; }, {enableHighAccuracy: true, timeout: 15000});
  });
})();
