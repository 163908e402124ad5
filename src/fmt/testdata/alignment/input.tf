resource "terraform_data" "a" {
  a = 1
  bbb = 2
  cc = 3

  dddd = 4
  e = 5
  # comment breaks the run
  ffffff = 6
  g = 7
  nested {
    x = 1
  }
  hhhhhhhh = 8
  i = [
    1,
  ]
  jj = 9
  k = { x = 1 }
  lllll = "${x}"
}
