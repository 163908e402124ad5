# leading hash comment   
// leading slash comment
/* block comment */
/*
 * multi-line
 *   block comment
 */
resource "terraform_data" "x" { # after brace
  input = 1 # trailing
  longer_name = "two" // trailing slash
  c = 3 /* trailing block */
  # indented comment
      // badly indented comment
  list = [
    1, # one
    22, # twenty-two
  /* inside */ 3,
  ]
  d = /* inline */ 4
}
# between blocks

/* before */ locals {
  a = 1
}
# final comment without newline