variable "v" {
  type = list
}
variable "w" {
  type = "list(string)"
}
variable "x" {
  type = map # comment
}
variable "y" { type = "string" }
locals { a = "${x}" }
output "o" {
  value = "${var.a}" # c
  sensitive = true
}
a = "${
  x
}"
b = "${a}" /* c */
d = "${x}" == "y"
