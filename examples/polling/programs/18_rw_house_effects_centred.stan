// The true support moves as a random walk (centred), each pollster leans by a house effect and has
// its own measurement noise.
data {
  int num_days;
  int num_pollsters;
  int num_polls;
  array[num_polls] int<lower=1, upper=num_pollsters> pollster;
  array[num_polls] int<lower=1, upper=num_days> day;
  array[num_polls] real result;
}
parameters {
  vector[num_days] popularity;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  // slowly changing support
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  // pollsters
  house ~ normal(0, 3);
  poll_sd ~ normal(0, 5) T[0, ];
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
