// Random walk for popularity with pollster house effects that are softly constrained to sum to zero
// (so the average pollster is unbiased), and pollster-specific noise.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  vector[num_days] popularity;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  house ~ normal(0, 3);
  sum(house) ~ normal(0, 0.5); // soft sum-to-zero constraint
  poll_sd ~ normal(0, 5) T[0, ];
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
