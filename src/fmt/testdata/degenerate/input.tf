locals {
  list = [1, 2,
  3]
  call = f(a,
      b)
  obj = { a = 1,
    b = 2 }
  pair = [[1,
  2], [3,
  4]]
}
a { b = { c = 1 } }
b "x" {}
