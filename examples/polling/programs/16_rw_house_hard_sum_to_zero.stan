// Random walk for popularity; house effects constrained to sum to zero exactly (the last is minus
// the sum of the others), so the polls are unbiased on average; pollster-specific noise.
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
  vector[num_pollsters - 1] house_free;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_pollsters] house = append_row(house_free, -sum(house_free));
}
model {
  popularity[1] ~ normal(50, 10);
  popularity[2:num_days] ~ normal(popularity[1:(num_days - 1)], step_sd);
  step_sd ~ normal(0, 1) T[0, ];
  house_free ~ normal(0, 2);
  poll_sd ~ lognormal(log(2), 0.75);
  result ~ normal(popularity[day] + house[pollster], poll_sd[pollster]);
}
