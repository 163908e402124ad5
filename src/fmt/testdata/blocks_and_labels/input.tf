resource "a" "b" {
  labels = { "quoted key" = 1, plain = 2 }
  x = {
    "k-1" = "v"
    k2 = "v"
    # c
    kkk3 = "v"
  }
  y = [for s in var.list :
    upper(s)
  if s != ""]
  z = {
    for k, v in var.m :
    k => v
  }
  long = var.a ? var.b : var.c ? var.d : var.e
  t = var.a ? [
    1
  ] : []
  u = f(<<EOT
x
EOT
  )
  w = [
    <<-EOT
    indented
    EOT
    ,
    "x",
  ]
  ünï = "unicode"
  tmpl = <<EOT
  %{ if var.x ~}
    ${ var.y }
  %{~ endif }
EOT
}
block "a\tb" "c\\d" {}
block2 /* a */ "x" /* b */ {
}
