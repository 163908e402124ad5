locals {
  math = 1+2*3-4/5%6
  neg = -1
  neg2 = 1 - -2
  sub = a-1
  paren = ( a+b )*c
  cmp = a==b&&c!=d||!e
  lt = a<b||a<=b||a>b||a>=b
  cond = var.a?1:2
  fors = [for x in var.list: upper(x) if x!=""]
  fobj = {for k,v in var.map: k=>v...}
  inkw = [for x in [1,2]: x]
  splat = aws_instance.x[*].id
  legacy = aws_instance.x.*.id
  idx = var.m["k"] [0]
  call = provider::terraform::encode_tfvars({a=1})
  args = concat(var.a,var.b...)
  list = [ 1,2 , 3 ]
  empty_list = [ ]
  empty_obj = { }
  obj = {a=1, b=2}
  colon = {a: 1, "b": 2}
  nested = {
  a = {
  b = [
  1,
  2
  ]
  }
  cc = "x"
  }
  multi_call = merge(
  var.a,
  {
  x = 1
  },
  )
  numbers = [1.5, 1e3, 2.5E-2]
  multi_cond = (
    var.a
    ? var.b
    : var.c
  )
}
