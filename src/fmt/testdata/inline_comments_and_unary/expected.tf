locals {
  a = /* multi
  line */ 1
  b = 2 /* x
  y */
  c = 3
  d = [/* start */
    1,
  ]
  e = { a = 1, b = 2,
  c = 3 }
  f  = -var.x
  g  = !var.y
  h  = var.a * -1
  i  = (-1)
  j  = [-1, -2]
  k  = { a = -1 }
  l  = var.x[-1]
  m  = a != -1 && b == !c
  n  = f(-1)
  o  = 1 - (-2)
  p  = local.x.*.y[0]
  q  = data.x.y[*]
  r  = x.0.y
  s  = 10 % 3
  tt = "a" == "b" ? 1 : -1
}
