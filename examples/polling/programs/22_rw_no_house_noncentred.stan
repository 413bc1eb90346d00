// Non-centred random walk for popularity; polls are unbiased, with one noise level per pollster.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real start;
  vector[num_days - 1] z;
  real<lower=0> step_sd;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] popularity = start + append_row(0, step_sd * cumulative_sum(z));
}
model {
  start ~ normal(50, 15);
  z ~ std_normal();
  step_sd ~ normal(0, 1) T[0, ];
  poll_sd ~ lognormal(log(2), 1);
  result ~ normal(popularity[day], poll_sd[pollster]);
}
