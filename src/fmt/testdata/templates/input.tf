locals {
  only = "${var.x}"
  spaced = "${ var.x }"
  func = "${ join(",", var.list) }"
  nested = "${ lookup(var.m, "${var.k}-suffix") }"
  two = "${var.a}${var.b}"
  text = "prefix-${var.a}"
  cond = "${var.a ? "yes" : "no"}"
  multi = "${
    var.enabled
    ? "on"
    : "off"
  }"
  already = "${(
    var.a
  )}"
  forx = "%{ for i, n in var.nodes }${ i }=${ n },%{ endfor }"
  ifx = "%{ if var.on }on%{ else }off%{ endif }"
  strip = "%{~ for n in var.nodes ~} ${n} %{~ endfor ~}"
  escapes = "$${literal} %%{literal} \"quoted\" \\ \n \u00e9"
  object = "${ {a=1} }"
  tmpl_obj = "x${ {a=1} }"
  heredoc_not_unwrapped = <<EOT
${var.x}
EOT
}
