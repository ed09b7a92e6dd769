# METADATA
# title: Message text helpers
# description: >-
#   Build the messages of violations and risk reasons. Use join instead of
#   sprintf with "%s", because regopy 1.5.2 sprintf wraps a string argument
#   in double quotes when the string came from a built-in such as lower or
#   concat or from a local variable, and the quotes then break the JSON
#   output of the query.
package releasegate.lib.text

import rego.v1

# METADATA
# title: Join message parts
# description: >-
#   Return the parts concatenated in order: strings as they are, numbers,
#   booleans and null in their JSON form.
join(parts) := concat("", [_text(part) | some part in parts])

# METADATA
# title: Join a list
# description: Return the strings sorted and separated by ", ".
list(items) := concat(", ", sort(items))

# METADATA
# title: Present
# description: True when the value is a string with a character other than whitespace.
present(value) if {
	is_string(value)
	trim_space(value) != ""
}

_text(part) := part if {
	is_string(part)
} else := sprintf("%v", [part])
