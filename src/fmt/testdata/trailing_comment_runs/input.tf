x = 1 # a
  y=2#b
zzz = 3 // c
b {
}
