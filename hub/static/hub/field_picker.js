/* Field picker: suggests Odoo field names (from fields_get, cached by the hub) in inputs named
 * source_path (dotted paths: partner_id.country_id.code) and tracked_fields (comma list).
 * Include it in an admin with `class Media: js = ("hub/field_picker.js",)`. It reads the model
 * from #id_model and the connection from #id_connection (blank = first active connection). */
(function () {
  "use strict";
  var cache = {};

  function adminRoot() {
    var link = document.querySelector("#site-name a");
    return link ? link.getAttribute("href") : "/admin/";
  }

  function fieldsUrl(model) {
    var conn = document.getElementById("id_connection");
    var base = adminRoot() + "hub/odooconnection/";
    base += conn && conn.value ? conn.value + "/fields/" : "fields/";
    return base + "?model=" + encodeURIComponent(model);
  }

  function fields(model) {
    var key = model + "@" + ((document.getElementById("id_connection") || {}).value || "");
    if (!cache[key]) {
      cache[key] = fetch(fieldsUrl(model), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) { return j.fields || {}; })
        .catch(function () { return {}; });
    }
    return cache[key];
  }

  // Follow the relations of a dotted prefix ("partner_id.country_id.") to its model.
  function modelOf(model, segments) {
    if (!segments.length) { return Promise.resolve(model); }
    return fields(model).then(function (f) {
      var info = f[segments[0]];
      if (!info || !info.relation) { return null; }
      return modelOf(info.relation, segments.slice(1));
    });
  }

  function isTarget(input) {
    var name = input.name || "";
    return input.tagName === "INPUT" && (/(^|-)source_path$/.test(name) || name === "tracked_fields");
  }

  function suggest(input) {
    var modelInput = document.getElementById("id_model");
    if (!modelInput || !modelInput.value) { return; }
    var value = input.value, prefix, segments = [];
    if (input.name === "tracked_fields") {
      var cut = value.lastIndexOf(",");
      prefix = cut < 0 ? "" : value.slice(0, cut + 1) + " ";
    } else {
      var dot = value.lastIndexOf(".");
      prefix = dot < 0 ? "" : value.slice(0, dot + 1);
      segments = prefix ? prefix.slice(0, -1).split(".") : [];
    }
    modelOf(modelInput.value.trim(), segments).then(function (model) {
      return model ? fields(model) : {};
    }).then(function (f) {
      var list = document.getElementById(input.getAttribute("list"));
      list.innerHTML = "";
      Object.keys(f).sort().forEach(function (name) {
        var option = document.createElement("option");
        option.value = prefix + name;
        var info = f[name];
        option.label = (info.string || name) + " (" + info.type +
          (info.relation ? " → " + info.relation : "") + ")";
        list.appendChild(option);
      });
    });
  }

  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!isTarget(input)) { return; }
    if (!input.getAttribute("list")) {
      var list = document.createElement("datalist");
      list.id = "hub-fields-" + Math.random().toString(36).slice(2);
      document.body.appendChild(list);
      input.setAttribute("list", list.id);
      input.setAttribute("autocomplete", "off");
      input.addEventListener("input", function () { suggest(input); });
    }
    suggest(input);
  });
})();
